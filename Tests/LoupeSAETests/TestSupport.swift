import Foundation
import LoupeSAE
import XCTest

/// Seeded random matrices for tests.
func randomMatrix(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var rng = SeededRandom(seed: seed)
    return (0..<count).map { _ in Float(rng.nextNormal()) * scale }
}

func fixturesPath() -> String {
    Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.path
}

func temporaryFolder(_ name: String) -> String {
    let path = NSTemporaryDirectory() + "loupe-sae-tests-\(getpid())-\(name)-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Activations with structure an SAE can find (LoupeSAE's SyntheticActivations).
func syntheticActivations(tokens: Int, width: Int, directions: Int, seed: UInt64) -> [Float] {
    SyntheticActivations.sparseSums(tokens: tokens, width: width, directions: directions, seed: seed)
}

/// Every element of `got` within `tolerance` of the reference `want`,
/// relative to the reference's largest magnitude; `reference` names it in
/// the failure message (the training fixtures' shared comparison).
func assertCloseToReference(_ got: [Float], _ want: [Float], _ what: String, reference: String, tolerance: Double,
                            file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(got.count, want.count, "\(what): sizes", file: file, line: line)
    let scale = max(want.map { Double(abs($0)) }.max() ?? 0, 1e-12)
    var worst = 0.0, at = 0
    for i in want.indices where i < got.count {
        let e = abs(Double(got[i]) - Double(want[i]))
        if e > worst { worst = e; at = i }
    }
    XCTAssertLessThanOrEqual(worst / scale, tolerance,
                             "\(what): element \(at) is \(got.indices.contains(at) ? got[at] : .nan), \(reference) has \(want.isEmpty ? .nan : want[at]) "
                                + "(scale \(scale))", file: file, line: line)
}
