/// Activations with structure an SAE can find, for benchmarks, exports and
/// tests that need no model: each row is a sparse sum of a few of
/// `directions` hidden random directions, plus a little noise and an offset.
package enum SyntheticActivations {
    package static func sparseSums(tokens: Int, width: Int, directions: Int, seed: UInt64) -> [Float] {
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
}
