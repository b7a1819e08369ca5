import Foundation
import XCTest
import LoupeSAE

/// Not a unit test: runs the training benchmark when LOUPE_SAE_BENCH=1
/// (set LOUPE_SAE_PEER to a Python with SAELens to run the peer beside it),
/// printing the table and writing JSON to LOUPE_SAE_BENCH_OUT if set.
final class BenchmarkRun: XCTestCase {
    func testRunBenchmarkWhenAsked() throws {
        let env = ProcessInfo.processInfo.environment
        guard env["LOUPE_SAE_BENCH"] == "1" else { throw XCTSkip("set LOUPE_SAE_BENCH=1 to run the SAE benchmark") }
        var o = SAEBenchmarkOptions()
        if let w = env["LOUPE_SAE_BENCH_WIDTHS"] { o.widths = w.split(separator: ",").compactMap { Int($0) } }
        if let s = env["LOUPE_SAE_BENCH_STEPS"].flatMap({ Int($0) }) { o.steps = s }
        o.peerPython = env["LOUPE_SAE_PEER"]
        o.peerScript = env["LOUPE_SAE_PEER_SCRIPT"] ?? "bench/sae_peer.py"
        let report = try runSAEBenchmark(o) { print($0) }
        print(report.text)
        if let out = env["LOUPE_SAE_BENCH_OUT"] { try report.json.pretty().write(toFile: out, atomically: true, encoding: .utf8) }
    }
}
