import Foundation
import LoupeSAE

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
