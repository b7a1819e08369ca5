import XCTest
import LoupeSAE

/// The dead-latent count as SAELens's trainer keeps it: steps, not tokens;
/// dead only when the count is *greater* than the window; reset on firing.
final class DeadLatentTests: XCTestCase {
    func codes(firing latents: [Int32], width: Int) -> SparseCodes {
        SparseCodes(rows: 1, width: width, rowStart: [0, latents.count], index: latents, value: latents.map { _ in 1 })
    }

    func testWindowCountsStepsAndDeadMeansMoreThanTheWindow() {
        var counter = DeadLatentCounter(latents: 3, windowSteps: 2)
        var deadBeforeStep: [[Int32]] = []
        for _ in 0..<4 {
            deadBeforeStep.append(counter.dead)
            counter.record(codes(firing: [0], width: 3))   // latent 0 fires every step
        }
        // Counts before steps 1...4 are 0, 1, 2, 3: dead from step 4 (W + 2) on.
        XCTAssertEqual(deadBeforeStep, [[], [], [], [1, 2]])
        XCTAssertEqual(counter.deadCount, 2)
        counter.record(codes(firing: [2], width: 3))
        XCTAssertEqual(counter.dead, [1], "a latent that fires is alive again at once")
        XCTAssertEqual(counter.stepsSinceFired, [1, 5, 0])
    }

    func testRestoredCountersKeepTheirMeaning() {
        let counter = DeadLatentCounter(stepsSinceFired: [0, 2, 3, 99], windowSteps: 2)
        XCTAssertEqual(counter.dead, [2, 3])
    }
}
