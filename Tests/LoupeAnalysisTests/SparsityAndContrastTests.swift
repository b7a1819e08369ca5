import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeSAE
import LoupeTensor
import Testing

@Suite struct SparsityAndContrastTests {
    /// 2 images of 1 CLS + 9 patch tokens (a 3x3 grid) in a 2-wide stream;
    /// under the ±e_i identity SAE a token's L0 is its number of non-zero coordinates.
    @Test func l0IsCountedPerTokenTypeAndPatch() throws {
        var values: [Float] = []
        for image in 0..<2 {
            values += [1, 0]   // CLS: one active latent
            for p in 0..<9 { values += p == 4 ? [1, -1] : (image == 0 ? [0, 0] : [0, 2]) }
        }
        let s = try TokenSparsity.measure(try SpliceTests.identitySAE(width: 2), tokens: Tensor(shape: [2, 10, 2], values: values), grid: 3)
        #expect(s.cls == [1, 1])
        #expect(s.grid == 3)
        #expect(s.spatialMap == [0.5, 0.5, 0.5, 0.5, 2, 0.5, 0.5, 0.5, 0.5])
        #expect(abs(s.meanSpatial - 12.0 / 18) < 1e-12)
        let (centre, border) = try #require(s.centreAndBorder)
        #expect(centre == 2 && border == 0.5)
        #expect(TokenSparsity.quantile([3, 1, 2], 0.5) == 2)
        #expect(throws: SAEError.self) { try TokenSparsity.measure(try SpliceTests.identitySAE(width: 3), tokens: Tensor(shape: [2, 10, 2], values: values), grid: 3) }
    }

    @Test func contrastRanksByMeanDifferenceAndRandomDrawsRepeat() {
        // Unit 2 is high with the attribute, unit 0 is high without it.
        let with: [Float] = [0, 1, 5, 0, 1, 3]
        let without: [Float] = [2, 1, 0, 4, 1, 0]
        #expect(Contrast.rank(with: with, without: without, units: 3) == [2, 1, 0])
        #expect(Contrast.meanDifference(with: with, without: without, units: 3) == [-3, 0, 4])
        let a = Contrast.randomUnits(4, from: Array(10..<30), seed: 5)
        #expect(a == Contrast.randomUnits(4, from: Array(10..<30), seed: 5))
        #expect(Set(a).count == 4 && a.allSatisfy { (10..<30).contains($0) })
        #expect(a != Contrast.randomUnits(4, from: Array(10..<30), seed: 6))
        #expect(Contrast.randomUnits(9, from: [1, 2], seed: 0).sorted() == [1, 2])
    }

    @Test func maxWithoutKeepsOnlyUnitsQuietWithoutTheAttribute() {
        // Unit 0 rises most but is busy without the attribute; unit 1 rises less from silence.
        let with: [Float] = [0.9, 0.3, 0, 0.7, 0.1, 0]
        let without: [Float] = [0.5, 0, 0, 0.3, 0.02, 0]
        #expect(Contrast.rank(with: with, without: without, units: 3) == [0, 1, 2])
        #expect(Contrast.rank(with: with, without: without, units: 3, maxWithout: 0.01) == [1, 2])
        #expect(Contrast.rank(with: with, without: without, units: 3, maxWithout: 0) == [2])
    }

    /// Under the ±e_i identity SAE of width d, a token fires latent i (or d + i)
    /// when coordinate i is positive (negative), with that magnitude.
    @Test func firingRatesCountTokensWhereALatentFires() throws {
        let sae = try SpliceTests.identitySAE(width: 2)
        // One image, four tokens: coordinate 0 is large once, small twice.
        let tokens = Tensor(shape: [1, 4, 2], values: [8, 0, 1, 0, 1, 0, 0, -2])
        let mean = try Monosemanticity.imageActivations(sae, tokens: tokens)
        let rate = try Monosemanticity.imageActivations(sae, tokens: tokens, measure: .firingRate)
        #expect(mean == [2.5, 0, 0, 0.5])
        #expect(rate == [0.75, 0, 0, 0.25])
    }

    @Test func imageMeansAverageEachImagesTokens() {
        let t = Tensor(shape: [2, 2, 2], values: [1, 2, 3, 4, 10, 20, 30, 40])
        #expect(Contrast.imageMeans(t) == [2, 3, 20, 30])
    }

    @Test func zeroingNeuronsChangesTheEmbeddingOnlyThroughThoseCoordinates() throws {
        let model = SpliceTests.model
        let d = model.config.vision.width
        let none = try Intervention.zeroing(neurons: [], layer: 0, site: .residPost, tokens: .all, width: d)
        let clean = model.embed(images: SpliceTests.images()).toArray()
        #expect(model.embed(images: SpliceTests.images(), hooks: none).toArray() == clean)
        let some = try Intervention.zeroing(neurons: [0, 3], layer: 0, site: .residPost, tokens: .all, width: d)
        #expect(model.embed(images: SpliceTests.images(), hooks: some).toArray() != clean)
        // Zeroing them twice is zeroing them once.
        var twice = some
        twice.append(contentsOf: some)
        #expect(model.embed(images: SpliceTests.images(), hooks: twice).toArray() == model.embed(images: SpliceTests.images(), hooks: some).toArray())
        #expect(throws: AnalysisError.noSuchNeuron(d, width: d)) { try Intervention.zeroing(neurons: [d], layer: 0, site: .residPost, tokens: .all, width: d) }
    }

    @Test(arguments: [0, 1]) func featureSteeringAgreesWithSteerability(layer: Int) throws {
        let model = SpliceTests.textModel
        let sae = try SparseAutoencoder(dIn: model.config.vision.width, dSAE: 16, architecture: TopKArchitecture(k: 4), seed: 2)
        let measured = try Steerability.measure(model, kind: .latent(sae, tokens: .all), units: [3], layer: layer,
                                                images: SpliceTests.images(), vocabulary: SteerabilityTests.words, clamp: 20)
        let page = try FeatureSteering(model, sae: sae, latent: 3, layer: layer, site: .residPost, tokens: .all,
                                       images: SpliceTests.images(), vocabulary: SteerabilityTests.words, clamp: 20)
        #expect(abs(page.score - measured.scores[0]) < 1e-4 * max(1, measured.scores[0]))
        #expect(page.ranked.first?.word == SteerabilityTests.words[measured.topWord[0]])
        #expect(abs(page.delta.reduce(0, +)) < 1e-5, "probabilities move but still sum to one")
    }
}
