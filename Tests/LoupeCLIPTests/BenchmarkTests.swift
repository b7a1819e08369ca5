import Foundation
import LoupeCLIP
import XCTest

final class BenchmarkTests: XCTestCase {
    /// Runs the benchmark on the tiny fixture so the entry point stays
    /// working; with LOUPE_CLIP_BENCH=path it measures that checkpoint instead.
    func testBenchmarkRuns() throws {
        let env = ProcessInfo.processInfo.environment
        let path = env["LOUPE_CLIP_BENCH"] ?? Fixtures.path("openclip_p16_gelu.safetensors")
        let batches = Int(env["LOUPE_CLIP_BENCH_BATCHES"] ?? "") ?? 2
        let result = try runCLIPBenchmark(checkpoint: path, batchSize: 32, batches: batches)
        XCTAssertGreaterThan(result.imagesPerSecond, 0)
        XCTAssertGreaterThan(result.sgemmPeakGFLOPS, 0)
        if env["LOUPE_CLIP_BENCH"] != nil {
            print("CLIP benchmark: " + result.fields.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
        }
    }
}
