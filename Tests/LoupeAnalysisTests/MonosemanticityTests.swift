import Foundation
import LoupeAnalysis
import Testing

@Suite struct MonosemanticityTests {
    /// The definition written out as the double sum.
    static func bruteForce(_ a: [Float], n: Int, k: Int, latent: Int, _ e: [Float], d: Int) -> Double? {
        let column = (0..<n).map { Double(a[$0 * k + latent]) }
        guard let lo = column.min(), let hi = column.max(), hi > lo else { return nil }
        let t = column.map { ($0 - lo) / (hi - lo) }
        var num = 0.0, den = 0.0
        for i in 0..<n {
            for j in (i + 1)..<n {
                var s = 0.0
                for c in 0..<d { s += Double(e[i * d + c]) * Double(e[j * d + c]) }
                num += t[i] * t[j] * s
                den += t[i] * t[j]
            }
        }
        return den > 0 ? num / den : nil
    }

    static func unitRows(_ n: Int, _ d: Int, seed: UInt64) -> [Float] {
        var state = seed
        func next() -> Float { state = state &* 6364136223846793005 &+ 1442695040888963407; return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1 }
        var e = (0..<(n * d)).map { _ in next() }
        for i in 0..<n {
            let norm = (0..<d).map { e[i * d + $0] * e[i * d + $0] }.reduce(0, +).squareRoot()
            for c in 0..<d { e[i * d + c] /= norm }
        }
        return e
    }

    @Test func matchesTheDoubleSum() {
        let (n, k, d) = (9, 4, 5)
        let e = Self.unitRows(n, d, seed: 1)
        var a = (0..<(n * k)).map { Float(($0 * 37) % 11) / 3 }
        for i in 0..<n { a[i * k + 3] = 2 }  // constant: dead
        let fast = Monosemanticity.scores(activations: a, images: n, latents: k, embeddings: e, dim: d)
        for latent in 0..<k {
            let slow = Self.bruteForce(a, n: n, k: k, latent: latent, e, d: d)
            if let slow { #expect(abs(fast[latent]! - slow) < 1e-5) } else { #expect(fast[latent] == nil) }
        }
    }

    @Test func aLatentFiringOnOneClusterScoresHigherThanOneFiringAtRandom() {
        // Two tight clusters of embeddings; latent 0 fires on cluster A only, latent 1 on every other image.
        let (n, d) = (20, 3)
        var e = [Float](repeating: 0, count: n * d)
        for i in 0..<n { e[i * d + (i < 10 ? 0 : 1)] = 1 }
        var a = [Float](repeating: 0, count: n * 2)
        for i in 0..<n { a[i * 2] = i < 10 ? 1 : 0; a[i * 2 + 1] = i % 2 == 0 ? 1 : 0 }
        let ms = Monosemanticity.scores(activations: a, images: n, latents: 2, embeddings: e, dim: d)
        #expect(ms[0]! > 0.99)
        #expect(ms[1]! < 0.6)
    }

    /// Past one block of images and one block of latents, the blocked sums
    /// still equal the double sum; dead latents (never active, or active on
    /// a single image) are nil, never NaN or 0.
    @Test func blocksOfImagesAndLatentsAddUpToTheDoubleSum() {
        let n = Monosemanticity.imageBlock + 37, k = Monosemanticity.latentBlock + 5, d = 6
        let e = Self.unitRows(n, d, seed: 3)
        var a = [Float](repeating: 0, count: n * k)
        var state: UInt64 = 99
        for i in 0..<(n * k) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let u = Float(state >> 40) / Float(1 << 24)
            a[i] = u > 0.8 ? (u - 0.8) * 10 : 0      // sparse, non-negative, like an SAE's
        }
        let dead = k - 1, single = k - 2
        for i in 0..<n { a[i * k + dead] = 0; a[i * k + single] = 0 }
        a[17 * k + single] = 3
        let fast = Monosemanticity.scores(activations: a, images: n, latents: k, embeddings: e, dim: d)
        for latent in [0, 1, Monosemanticity.latentBlock - 1, Monosemanticity.latentBlock, k - 3] {
            let slow = Self.bruteForce(a, n: n, k: k, latent: latent, e, d: d)!
            #expect(abs(fast[latent]! - slow) < 1e-6, "latent \(latent)")
        }
        #expect(fast[dead] == nil)
        #expect(fast[single] == nil)
        #expect(Monosemanticity.workingBytes(latents: 49_152, dim: 1024) < 1 << 30)
    }

    @Test func attributeSimilarityIsTheFractionOfSharedAttributes() {
        let labels = [["shape=star", "colour=red", "size=large"], ["shape=star", "colour=blue", "size=large"], [], ["word=cat"]]
        let (e, d, columns) = AttributeSimilarity.embeddings(labels: labels)
        #expect(columns.count == 5 && d == 5)
        func cosine(_ i: Int, _ j: Int) -> Float { (0..<d).map { e[i * d + $0] * e[j * d + $0] }.reduce(0, +) }
        #expect(abs(cosine(0, 1) - 2.0 / 3) < 1e-6)
        #expect(abs(cosine(0, 0) - 1) < 1e-6)
        #expect(cosine(0, 2) == 0 && cosine(2, 2) == 0)
        #expect(cosine(0, 3) == 0)
    }
}
