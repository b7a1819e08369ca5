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

/// Activations with structure an SAE can find: sparse sums of a few hidden
/// directions plus a little noise.
func syntheticActivations(tokens: Int, width: Int, directions: Int, seed: UInt64) -> [Float] {
    var rng = SeededRandom(seed: seed)
    let dirs = (0..<(directions * width)).map { _ in Float(rng.nextNormal()) }
    var out = [Float](repeating: 0, count: tokens * width)
    for r in 0..<tokens {
        for _ in 0..<3 {
            let f = rng.nextIndex(directions)
            let a = Float(1 + 2 * rng.nextUnit())
            for t in 0..<width { out[r * width + t] += a * dirs[f * width + t] }
        }
        for t in 0..<width { out[r * width + t] += 0.05 * Float(rng.nextNormal()) + 0.5 }
    }
    return out
}
