import Foundation
import LoupeTensor
import XCTest

final class PrefetchTests: XCTestCase {
    func testItemsArriveInOrderAndThenNil() throws {
        let ranges = stride(from: 0, to: 100, by: 7).map { $0..<min(100, $0 + 7) }
        let prefetcher = Prefetcher(ranges: ranges, depth: 2) { Array($0) }
        var seen: [Int] = []
        while let item = try prefetcher.next() { seen += item }
        XCTAssertEqual(seen, Array(0..<100))
        XCTAssertNil(try prefetcher.next())
    }

    func testNeverMoreThanDepthAhead() throws {
        let made = ManagedCounter()
        let prefetcher = Prefetcher(ranges: (0..<10).map { $0..<($0 + 1) }, depth: 2) { r -> Int in made.add(); return r.lowerBound }
        // Wait (however slow the machine) until two are made; a third must not follow.
        let deadline = Date().addingTimeInterval(30)
        while made.value < 2 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        Thread.sleep(forTimeInterval: 0.05)
        XCTAssertEqual(made.value, 2)
        XCTAssertEqual(try prefetcher.next(), 0)
        prefetcher.cancel()
        XCTAssertLessThanOrEqual(made.value, 3)
    }

    func testAnErrorArrivesInTurnAndStopsTheRest() throws {
        struct Broken: Error {}
        let made = ManagedCounter()
        let prefetcher = Prefetcher(ranges: (0..<10).map { $0..<($0 + 1) }) { r -> Int in
            made.add()
            if r.lowerBound == 3 { throw Broken() }
            return r.lowerBound
        }
        for i in 0..<3 { XCTAssertEqual(try prefetcher.next(), i) }
        XCTAssertThrowsError(try prefetcher.next()) { XCTAssertTrue($0 is Broken) }
        XCTAssertNil(try prefetcher.next())
        XCTAssertEqual(made.value, 4)
    }

    func testCancelWaitsForTheThreadAndDroppingEndsIt() {
        let made = ManagedCounter()
        var prefetcher: Prefetcher<Int>? = Prefetcher(ranges: (0..<1000).map { $0..<($0 + 1) }) { r -> Int in
            made.add(); Thread.sleep(forTimeInterval: 0.001); return r.lowerBound
        }
        _ = try? prefetcher?.next()
        prefetcher = nil  // deinit cancels and waits
        let after = made.value
        Thread.sleep(forTimeInterval: 0.05)
        XCTAssertEqual(made.value, after, "make ran after the prefetcher was dropped")
        XCTAssertLessThan(after, 10)
    }
}

final class ManagedCounter: @unchecked Sendable {
    private var count = 0
    private let lock = NSLock()
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
