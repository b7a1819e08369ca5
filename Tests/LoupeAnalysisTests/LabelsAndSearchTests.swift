import Foundation
import LoupeAnalysis
import LoupeTensor
import Testing

/// Latent labels and text search on hand-made embeddings, where the right
/// answer is known, against the definitions in docs/labels.md.
@Suite struct LabelsAndSearchTests {
    /// Unit vectors along axes: image i points at word i % 3, a little off.
    func embeddings(images n: Int) -> (images: Tensor, words: Tensor) {
        let images = Tensor(zeros: [n, 4]), words = Tensor(zeros: [3, 4])
        for w in 0..<3 { words[w, w] = 1 }
        for i in 0..<n {
            images[i, i % 3] = 0.9
            images[i, 3] = 0.1 * Float(i % 5)
        }
        return (images, words)
    }

    @Test func aLatentIsNamedByTheWordItsTopImagesShare() throws {
        let n = 60
        let (images, words) = embeddings(images: n)
        // Latent 0 fires on the images of word 1, latent 1 on two images only, latent 2 everywhere alike.
        var peaks = [Float](repeating: 0, count: n * 3)
        for i in 0..<n {
            if i % 3 == 1 { peaks[i * 3] = Float(1 + i) }
            peaks[i * 3 + 2] = 1
        }
        peaks[0 * 3 + 1] = 1; peaks[3 * 3 + 1] = 1
        let labels = LatentLabeling.label(latents: [0, 1, 2], peaks: LatentPeaks(dense: peaks, images: n, units: 3),
                                          imageEmbeddings: images, wordEmbeddings: words,
                                          vocabulary: ["cat", "star", "tree"], top: 2)
        let first = try #require(labels[0])
        #expect(first.label == "star")
        #expect(first.topImages == LatentLabeling.topImages && first.firing == 20)
        #expect(first.confidence == 1)
        #expect(first.words.count == 2 && first.words[0].z > first.words[1].z)
        #expect(labels[1] == nil, "two firing images are too few to name")
        // Firing everywhere alike: its top images are a fixed slice, not a concept, and random sets do as well.
        #expect((labels[2]?.confidence ?? 1) < 0.99)
    }

    @Test func theZScoreIsTheDefinition() {
        let (images, words) = embeddings(images: 30)
        var peaks = [Float](repeating: 0, count: 30)
        for i in [2, 5, 8, 11] { peaks[i] = Float(i) }
        let label = LatentLabeling.label(latents: [0], peaks: LatentPeaks(dense: peaks, images: 30, units: 1),
                                         imageEmbeddings: images, wordEmbeddings: words,
                                         vocabulary: ["a", "b", "c"], top: 3)[0]!
        // By hand: cosines with word 2 are 0.9 for images 2, 5, 8, ... and 0 elsewhere.
        let s = (0..<30).map { $0 % 3 == 2 ? 0.9 : 0.0 }
        let mean = s.reduce(0, +) / 30, sd = (s.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 30).squareRoot()
        let z = (0.9 - mean) / (sd / 2)
        #expect(label.label == "c")
        #expect(abs(label.words[0].z - z) < 1e-5)
    }

    @Test func searchRanksByCorrelationWithAnInterval() {
        let n = 50
        let similarity = (0..<n).map { Float(sin(Double($0))) }
        var activations = [Float](repeating: 0, count: n * 3)
        for i in 0..<n {
            activations[i * 3] = 2 * similarity[i] + 1          // r = 1
            activations[i * 3 + 1] = 5                          // constant: no correlation
            activations[i * 3 + 2] = -similarity[i]             // r = -1
        }
        let hits = TextSearch.rank(activations: activations, units: 3, similarity: similarity, top: 5)
        #expect(hits.map(\.unit) == [0, 2])
        #expect(abs(hits[0].correlation.value - 1) < 1e-9 && abs(hits[1].correlation.value + 1) < 1e-9)
        #expect(hits[0].active == n)
        // Fisher's interval around r = 0.5 with n = 50, by hand.
        let ci = TextSearch.rank(activations: (0..<n).map { Float($0 % 7) }, units: 1,
                                 similarity: (0..<n).map { Float($0 % 7) + Float($0 % 3) * 2 }, top: 1)[0].correlation
        let z = atanh(ci.value), half = 1.959964 / Double(n - 3).squareRoot()
        #expect(abs(ci.low - tanh(z - half)) < 1e-9 && abs(ci.high - tanh(z + half)) < 1e-9)
        #expect(TextSearch.rank(activations: [1, 2, 3], units: 1, similarity: [1, 2, 3], top: 1).isEmpty, "three images are too few")
        // The sparse ranking of latents agrees with the dense one on non-negative activations.
        let nonNegative = activations.map { max(0, $0) }
        let dense = TextSearch.rank(activations: nonNegative, units: 3, similarity: similarity, top: 3)
        let sparse = TextSearch.rank(peaks: LatentPeaks(dense: nonNegative, images: n, units: 3), similarity: similarity, top: 3)
        #expect(dense.map(\.unit) == sparse.map(\.unit))
        for (a, b) in zip(dense, sparse) { #expect(abs(a.correlation.value - b.correlation.value) < 1e-9 && a.active == b.active) }
    }
}
