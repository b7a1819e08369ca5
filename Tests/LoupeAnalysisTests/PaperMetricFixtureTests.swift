import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeTensor
import Testing

/// Loupe's MS and steerability against the plain formulas, as
/// dev/make_paper_metric_fixtures.py computes them in float64 from the same
/// float32 inputs (Fixtures/paper_metrics.json).
@Suite struct PaperMetricFixtureTests {
    static let fixture: [String: Any] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/paper_metrics.json")
        let data = try! Data(contentsOf: url)
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    static func section(_ name: String) -> [String: Any] { fixture[name] as! [String: Any] }
    static func floats(_ o: [String: Any], _ key: String) -> [Float] { (o[key] as! [NSNumber]).map { $0.floatValue } }
    static func int(_ o: [String: Any], _ key: String) -> Int { (o[key] as! NSNumber).intValue }
    /// A list whose nulls are the undefined scores.
    static func optionals(_ o: [String: Any], _ key: String) -> [Double?] {
        (o[key] as! [Any]).map { ($0 as? NSNumber)?.doubleValue }
    }

    static func expectScores(_ got: [Double?], _ want: [Double?], _ label: String,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.count == want.count, "\(label)", sourceLocation: sourceLocation)
        for (latent, (g, w)) in zip(got, want).enumerated() {
            if let w {
                #expect(g != nil && abs(g! - w) < 1e-6, "\(label) latent \(latent): \(String(describing: g)) vs \(w)",
                        sourceLocation: sourceLocation)
            } else {
                #expect(g == nil, "\(label) latent \(latent) is dead in the reference, got \(String(describing: g))",
                        sourceLocation: sourceLocation)
            }
        }
    }

    @Test func monosemanticityMatchesThePairSumWithEachEncoderAndTokenChoice() {
        let ms = Self.section("monosemanticity")
        let (n, t, k) = (Self.int(ms, "images"), Self.int(ms, "tokens"), Self.int(ms, "latents"))
        let perToken = Self.floats(ms, "activations")
        let expected = ms["expected"] as! [String: Any]
        let cls = Monosemanticity.imageLevel(perToken, images: n, tokens: t, units: k, selection: .cls)
        let all = Monosemanticity.imageLevel(perToken, images: n, tokens: t, units: k, selection: .all)
        let own = Self.floats(ms, "own"), separate = Self.floats(ms, "separate")
        let (ownDim, separateDim) = (Self.int(ms, "own_dim"), Self.int(ms, "separate_dim"))

        Self.expectScores(Monosemanticity.scores(activations: cls, images: n, latents: k, embeddings: own, dim: ownDim),
                          Self.optionals(expected, "cls_own"), "class token, own embeddings")
        Self.expectScores(Monosemanticity.scores(activations: cls, images: n, latents: k, embeddings: separate, dim: separateDim),
                          Self.optionals(expected, "cls_separate"), "class token, separate encoder")
        Self.expectScores(Monosemanticity.scores(activations: all, images: n, latents: k, embeddings: separate, dim: separateDim),
                          Self.optionals(expected, "all_separate"), "mean over tokens, separate encoder")

        let labels = (ms["labels"] as! [[String]])
        let attributes = AttributeSimilarity.embeddings(labels: labels)
        Self.expectScores(Monosemanticity.scores(activations: cls, images: n, latents: k, embeddings: attributes.embeddings,
                                                 dim: attributes.dim),
                          Self.optionals(expected, "cls_attributes"), "class token, ground-truth attributes")
    }

    @Test func steerabilityMatchesTheDefinitionAndBothCoverages() {
        let st = Self.section("steerability")
        let (n, v, d, units) = (Self.int(st, "images"), Self.int(st, "words"), Self.int(st, "dim"), Self.int(st, "units"))
        let text = Tensor(shape: [v, d], values: Self.floats(st, "text"))
        let steeredAll = Self.floats(st, "steered")
        let base = SteeringDelta.probabilities(imageEmbeddings: Tensor(shape: [n, d], values: Self.floats(st, "base")), text: text)
        let expected = st["expected"] as! [String: Any]
        let scores = (expected["scores"] as! [NSNumber]).map(\.doubleValue)
        let topWords = (expected["top_word"] as! [NSNumber]).map(\.intValue)
        let topDeltas = (expected["top_delta"] as! [NSNumber]).map(\.doubleValue)
        let firstWords = (expected["first_image_word"] as! [NSNumber]).map(\.intValue)

        var measured: [SteeringDelta.Unit] = []
        for u in 0..<units {
            let steered = Tensor(shape: [n, d], values: Array(steeredAll[(u * n * d)..<((u + 1) * n * d)]))
            let unit = SteeringDelta.unit(base: base, steered: SteeringDelta.probabilities(imageEmbeddings: steered, text: text),
                                          images: n, words: v)
            #expect(abs(unit.score - scores[u]) < 1e-6, "S of unit \(u): \(unit.score) vs \(scores[u])")
            #expect(abs(unit.topDelta - topDeltas[u]) < 1e-6, "Δ of unit \(u)'s top word")
            #expect(unit.topWord == topWords[u], "argmax of mean Δ, unit \(u)")
            #expect(unit.firstImageWord == firstWords[u], "top steered word on image 0, unit \(u)")
            measured.append(unit)
        }
        let result = SteerabilityResult(units: Array(0..<units), scores: measured.map(\.score), topWord: measured.map(\.topWord),
                                        topDelta: measured.map(\.topDelta), firstImageWord: measured.map(\.firstImageWord),
                                        vocabulary: (0..<v).map { "w\($0)" })
        #expect(abs(result.meanScore - (expected["mean_score"] as! NSNumber).doubleValue) < 1e-6)
        #expect(abs(result.fractionSteerable - (expected["fraction_steerable"] as! NSNumber).doubleValue) < 1e-12)
        #expect(result.coverage(.meanDelta) == Self.int(expected, "coverage_mean_delta"))
        #expect(result.coverage(.firstImage) == Self.int(expected, "coverage_first_image"))
        #expect(result.coverage(.meanDelta) != result.coverage(.firstImage), "the fixture tells the two counts apart")
    }
}
