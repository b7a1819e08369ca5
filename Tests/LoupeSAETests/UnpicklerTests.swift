import Foundation
import LoupeSafetensors
import XCTest

/// The pickle reader meets files from strangers: every declared length is
/// bounded, building stays linear in the file, and what a plain value
/// cannot hold is refused by name.
final class UnpicklerTests: XCTestCase {
    func load(_ bytes: [UInt8]) throws -> PickleValue {
        try bytes.withUnsafeBytes { try Unpickler($0, path: "test.pkl").load() }
    }

    /// A dict filled by one SETITEM per item (as pickle protocol 0-style
    /// writers and hand-made files do), its empty self memoised first.
    static func setItemDict(_ count: Int) -> [UInt8] {
        var bytes: [UInt8] = [0x80, 0x02, 0x7D, 0x71, 0x00]   // PROTO 2, EMPTY_DICT, BINPUT 0
        bytes.reserveCapacity(count * 8 + 8)
        for i in 0..<count {
            bytes.append(0x4A)                                   // BININT key
            withUnsafeBytes(of: Int32(i).littleEndian) { bytes += $0 }
            bytes += [0x4B, UInt8(i & 0xFF), 0x73]                // BININT1 value, SETITEM
        }
        bytes.append(0x2E)
        return bytes
    }

    /// 100,000 SETITEMs (an 800 KB file) took 346 s when each one copied
    /// the dict; filled in place it is linear.
    func testDictOfManySetItemsLoadsInLinearTime() throws {
        let count = Int(ProcessInfo.processInfo.environment["LOUPE_SETITEM_COUNT"] ?? "") ?? 100_000
        let bytes = Self.setItemDict(count)
        let start = Date()
        let value = try load(bytes)
        let seconds = Date().timeIntervalSince(start)
        print("unpickled a dict of \(count) SETITEMs (\(bytes.count) bytes) in \(String(format: "%.3f", seconds)) s")
        guard case .dict(let pairs) = value else { return XCTFail("not a dict: \(value)") }
        XCTAssertEqual(pairs.count, count)
        XCTAssertEqual(pairs.last?.key.int, count - 1)
        XCTAssertLessThan(seconds, 5, "building a dict must stay linear in the file")
        // A list by one APPEND per item is linear too.
        var list: [UInt8] = [0x80, 0x02, 0x5D, 0x94]
        for i in 0..<count { list += [0x4B, UInt8(i & 0xFF), 0x61] }
        let listStart = Date()
        guard case .list(let items) = try load(list + [0x2E]) else { return XCTFail("not a list") }
        XCTAssertEqual(items.count, count)
        XCTAssertLessThan(Date().timeIntervalSince(listStart), 5)
    }

    /// Declared lengths are checked against what is left before any
    /// arithmetic: 2^63 − 1 was an arithmetic-overflow trap.
    func testDeclaredLengthsAreBounded() throws {
        for length: UInt64 in [UInt64(Int.max), UInt64(Int.max) - 3, 1 << 40, 12, UInt64.max] {
            let bytes: [UInt8] = [0x80, 0x04, 0x8D] + withUnsafeBytes(of: length.littleEndian) { Array($0) } + Array("abc".utf8) + [0x2E]
            XCTAssertThrowsError(try load(bytes)) {
                XCTAssertTrue("\($0)".contains("test.pkl") && "\($0)".contains("remain"), "\($0)")
            }
        }
        let binBytes: [UInt8] = [0x80, 0x02, 0x42, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 0x2E]
        XCTAssertThrowsError(try load(binBytes)) { XCTAssertTrue("\($0)".contains("4294967295 bytes"), "\($0)") }
        let ok: [UInt8] = [0x80, 0x04, 0x8D, 3, 0, 0, 0, 0, 0, 0, 0] + Array("abc".utf8) + [0x2E]
        XCTAssertEqual(try load(ok).string, "abc")
    }

    /// The memo shares a container as Python does: a dict memoised empty
    /// and filled afterwards is the filled dict when fetched again (it read
    /// as empty before).
    func testMemoSharesContainersAsPythonDoes() throws {
        // (d, d) where d = {"k": 1}: EMPTY_DICT BINPUT 0, "k" 1 SETITEM, BINGET 0, TUPLE2.
        let bytes: [UInt8] = [0x80, 0x02, 0x7D, 0x71, 0x00, 0x8C, 0x01, UInt8(ascii: "k"), 0x4B, 0x01, 0x73, 0x68, 0x00, 0x86, 0x2E]
        guard case .tuple(let pair) = try load(bytes), pair.count == 2 else { return XCTFail("not a pair") }
        XCTAssertEqual(pair[0]["k"]?.int, 1)
        XCTAssertEqual(pair[1]["k"]?.int, 1)
    }

    /// What a plain value cannot hold is refused by name: a list that
    /// contains itself, a container changed after it was placed in another
    /// (which could nest without bound), a string that is not UTF-8.
    func testWhatCannotBeRepresentedIsRefused() throws {
        // l = []; l.append(l): EMPTY_LIST MEMOIZE BINGET 0 APPEND.
        XCTAssertThrowsError(try load([0x80, 0x04, 0x5D, 0x94, 0x68, 0x00, 0x61, 0x2E])) {
            XCTAssertTrue("\($0)".contains("contains itself"), "\($0)")
        }
        // a = []; b = [a]; a.append(1) — a chain of such edits would nest past any bound unseen.
        let late: [UInt8] = [0x80, 0x04, 0x5D, 0x94, 0x5D, 0x68, 0x00, 0x61, 0x68, 0x00, 0x4B, 0x01, 0x61, 0x2E]
        XCTAssertThrowsError(try load(late)) { XCTAssertTrue("\($0)".contains("after placing it inside another value"), "\($0)") }
        XCTAssertThrowsError(try load([0x80, 0x04, 0x8C, 0x02, 0xC3, 0x28, 0x2E])) { XCTAssertTrue("\($0)".contains("not valid UTF-8"), "\($0)") }
        XCTAssertEqual(try load([0x80, 0x04, 0x8C, 0x02, 0xC3, 0xA9, 0x2E]).string, "é")
    }
}
