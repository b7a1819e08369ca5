import Foundation
import LoupeSafetensors
import XCTest

/// The folding CRC-32 kernel agrees with zlib's on every length and
/// alignment, and when continued across pieces.
final class CRC32Tests: XCTestCase {
    func testFoldingAgreesWithZlib() {
        var state: UInt64 = 0x2718_2818
        let bytes = (0..<5000).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        bytes.withUnsafeBytes { all in
            for start in [0, 1, 3, 8, 15] {
                for length in Array(0...200) + [255, 256, 257, 1000, 1023, 4096, 4977 - start] {
                    let piece = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    XCTAssertEqual(CRC32.checksum(piece, continuing: 0x1234_5678), CRC32.zlibChecksum(piece, continuing: 0x1234_5678), "\(start) \(length)")
                    XCTAssertEqual(CRC32.checksum(piece), CRC32.zlibChecksum(piece), "\(start) \(length)")
                }
            }
            let whole = CRC32.zlibChecksum(all)
            let split = CRC32.checksum(UnsafeRawBufferPointer(rebasing: all[1234...]), continuing: CRC32.checksum(UnsafeRawBufferPointer(rebasing: all[..<1234])))
            XCTAssertEqual(split, whole)
        }
        XCTAssertEqual(Array("123456789".utf8).withUnsafeBytes { CRC32.checksum($0) }, 0xCBF4_3926)
        // Buffers large enough to be summed in pieces on several cores.
        let large = (0..<(9 << 20) + 77).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) }
        large.withUnsafeBytes { all in
            XCTAssertEqual(CRC32.checksum(all, continuing: 0xDEAD_BEEF), CRC32.zlibChecksum(all, continuing: 0xDEAD_BEEF))
            let tail = UnsafeRawBufferPointer(rebasing: all[5...])
            XCTAssertEqual(CRC32.checksum(tail), CRC32.zlibChecksum(tail))
        }
    }

    /// The speeds, for the record (the cache checks every shard at the first).
    func testThroughput() {
        let bytes = [UInt8](repeating: 0x5A, count: 64 << 20)
        bytes.withUnsafeBytes { all in
            for (name, crc) in [("folding", CRC32.checksum), ("zlib", CRC32.zlibChecksum)] as [(String, (UnsafeRawBufferPointer, UInt32) -> UInt32)] {
                let start = Date()
                var c: UInt32 = 0
                for _ in 0..<4 { c = crc(all, c) }
                print(String(format: "CRC-32 %@: %.1f GB/s", name, Double(4 * all.count) / Date().timeIntervalSince(start) / 1e9))
            }
        }
    }
}
