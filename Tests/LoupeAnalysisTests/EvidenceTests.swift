import Foundation
import Testing
import LoupeAnalysis
import LoupeCLIP

/// The interval and comparison rules every reported figure goes through,
/// against values computed independently (scipy.stats and the textbook
/// formulas), and the worst-group rules the literature uses.
@Suite struct EvidenceTests {
    @Test func wilsonMatchesTheTextbookInterval() {
        // statsmodels.stats.proportion.proportion_confint(5, 10, method="wilson")
        let half = Intervals.wilson(successes: 5, of: 10)
        #expect(abs(half.low - 0.236_593) < 1e-5 && abs(half.high - 0.763_407) < 1e-5)
        // At 0 of n the interval still has width; the normal one would be [0, 0].
        let none = Intervals.wilson(successes: 0, of: 10)
        #expect(none.low == 0 && abs(none.high - 0.277_533) < 1e-5)
        let all = Intervals.wilson(successes: 58, of: 58)
        #expect(all.high == 1 && all.low < 1 && all.n == 58)
        #expect(Intervals.wilson(successes: 0, of: 0).value.isNaN)
    }

    @Test func studentTQuantilesAndPairedTest() {
        // scipy.stats.t.ppf(0.975, df)
        for (df, q) in [(1, 12.706_205), (2, 4.302_653), (10, 2.228_139), (100, 1.983_972)] {
            #expect(abs(StudentT.quantile975(degreesOfFreedom: df) - q) < 1e-4, "df \(df)")
        }
        // scipy.stats.ttest_rel([1, 2, 3], [0, 0, 0]).pvalue
        #expect(abs(Intervals.pairedTest([1, 2, 3], [0, 0, 0])! - 0.074_180) < 1e-5)
        #expect(Intervals.pairedTest([1], [0]) == nil)
        #expect(Intervals.pairedTest([1, 1], [1, 1]) == 1)
        #expect(Intervals.pairedTest([2, 2], [1, 1]) == 0)
    }

    @Test func intervalAcrossSeedsIsStudentT() {
        let e = Intervals.acrossRuns([0.2, 0.3, 0.4])
        // mean 0.3, sd 0.1, t(0.975, 2) = 4.302653: half-width 0.248414
        #expect(abs(e.value - 0.3) < 1e-12 && abs(e.high - 0.548_414) < 1e-5 && e.n == 3 && e.unit == "seeds")
    }

    @Test func seedsThatAgreeStillCarryTheTestSetsInterval() {
        let e = Intervals.accuracyAcrossRuns([15.0 / 58, 15.0 / 58, 15.0 / 58], images: 58)
        let w = Intervals.wilson(successes: 15, of: 58)
        #expect(e.low == w.low && e.high == w.high && e.n == 3 && e.unit == "seeds × 58 images")
        let spread = Intervals.accuracyAcrossRuns([0.1, 0.5, 0.9], images: 58)
        #expect(spread.low == 0 && spread.high == 1)
    }

    @Test func bootstrapIsSeededAndCoversTheMean() {
        let values = (0..<200).map { Double($0 % 10) }
        let a = Intervals.bootstrapMean(values, seed: 1), b = Intervals.bootstrapMean(values, seed: 1)
        #expect(a == b)
        #expect(abs(a.value - 4.5) < 1e-12 && a.low < 4.5 && a.high > 4.5)
        // Close to the normal approximation: 1.96 · sd / sqrt(n) = 0.398
        #expect(abs((a.high - a.low) / 2 - 0.398) < 0.06)
    }

    @Test func comparisonsSayResolvedOnlyWhenResolved() {
        let tight = Measured(name: "latents", estimate: Intervals.acrossRuns([0.30, 0.31, 0.32]), perSeed: [0.30, 0.31, 0.32])
        let random = Measured(name: "random", estimate: Intervals.acrossRuns([0.15, 0.16, 0.15]), perSeed: [0.15, 0.16, 0.15])
        let c = Comparison(tight, random)
        #expect(c.resolved && c.p != nil)
        #expect(c.sentence().hasPrefix("latents above random by 15.7 points (paired t-test over 3 seeds"))
        // One image either way in a group of 58 is not a finding.
        let a = Measured(name: "latents", estimate: Intervals.wilson(successes: 12, of: 58), perSeed: [12.0 / 58])
        let b = Measured(name: "neurons", estimate: Intervals.wilson(successes: 11, of: 58), perSeed: [11.0 / 58])
        let close = Comparison(a, b)
        #expect(!close.resolved && close.p == nil)
        #expect(close.sentence().contains("not resolved (95% intervals overlap, n = 58 and 58 images)"))
    }

    /// The random baseline takes each draw's worst group, then averages:
    /// averaging the groups first lets different draws' bad groups cancel.
    @Test func randomBaselineTakesTheWorstGroupPerDraw() {
        let first = GroupAccuracy(correct: [false, true], group: ["a", "b"])
        let second = GroupAccuracy(correct: [true, false], group: ["a", "b"])
        let random = AblationOutcome(condition: "random latents", units: [], runs: [first, second], drawsPerSeed: 2)
        #expect(random.accuracies == [0.5, 0.5])
        #expect(random.worst == 0)
        #expect(random.worstPerSeed == [0])
    }

    @Test func selectionAndEvaluationMustNotShareImages() {
        #expect(throws: AnalysisError.self) {
            try SelectionOverlap.check(selection: ["a", "b"], evaluation: ["c", "b"], selectionName: "with", evaluationName: "test")
        }
        #expect(throws: Never.self) {
            try SelectionOverlap.check(selection: ["a", "b"], evaluation: ["c", "d"], selectionName: "with", evaluationName: "test")
        }
    }
}

/// Ground-truth recovery on data whose answer is known by construction.
@Suite struct GroundTruthTests {
    @Test func hungarianFindsTheBestOneToOneAssignment() {
        // Greedy would give row 0 column 0 (9) and row 1 column 2 (1): 10; the optimum is 8 + 7 = 15.
        #expect(Hungarian.maximise([[9, 8, 0], [7, 0, 1]]) == [1, 0])
        #expect(Hungarian.maximise([[1, 2], [3, 5]]) == [0, 1])
        #expect(Hungarian.maximise([]) == [])
    }

    /// Unit 1 fires exactly on "a", unit 2 on "b" and "a" alike, unit 0 is
    /// noise; a neuron-like unit 3 goes low on "b".
    @Test func findsThePerfectDetectorAndScoresItOnTheOtherHalf() throws {
        let n = 40
        var labels: [[String]] = [], acts: [Float] = []
        for i in 0..<n {
            let hasA = i % 4 < 2, hasB = i % 3 == 0
            labels.append((hasA ? ["a"] : []) + (hasB ? ["b"] : []))
            acts += [Float((i * 7919) % 13), hasA ? 2 : 0, hasA || hasB ? 1 : 0, hasB ? -3 : 1]
        }
        let latents = try GroundTruthRecovery.measure(activations: acts, images: n, units: 4, labels: labels, signed: false)
        #expect(latents.values == ["a", "b"])
        #expect(latents.best[0].unit == 1 && latents.best[0].f1.value == 1 && latents.best[0].f1.n == 20)
        // Without signs, nothing detects "b" perfectly; with them, unit 3 going low does.
        #expect(latents.best[1].f1.value < 1)
        let neurons = try GroundTruthRecovery.measure(activations: acts, images: n, units: 4, labels: labels, signed: true)
        #expect(neurons.best[1].unit == 3 && neurons.best[1].sign == -1 && neurons.best[1].f1.value == 1)
        // One-to-one: "a" and "b" get distinct units.
        #expect(Set(neurons.matched.map(\.unit)).count == 2 && neurons.recovered == 2)
        #expect(latents.unitF1[1] == 1)
    }

    @Test func spearmanOfMonotoneDataIsOne() {
        #expect(RankCorrelation.spearman([1, 2, 3, 4, 5], [10, 20, 25, 40, 41]).value == 1)
        #expect(abs(RankCorrelation.spearman([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]).value + 1) < 1e-12)
    }
}

/// The presets are the papers' settings, field by field; docs/protocols.md
/// quotes the same values and says where each comes from.
@Suite struct PaperProtocolTests {
    @Test func joseph2025IsThePapersSteerabilitySetting() {
        let p = SteerabilityProtocol.joseph2025
        #expect(p.clamp == 150 && p.clampModel == "ViT-B/32" && p.clampLayer == 11)
        #expect(p.images == 192 && p.vocabularySize == 5000 && p.coverage == .firstImage)
        #expect(p.latentSample == 0.05 && p.temperature == 100 && p.threshold == 0.10)
    }

    /// A clamp carried to another model scales by the ratio of the mean
    /// token norms of resid_post, each measured here the long way.
    @Test func clampCalibrationScalesByTheResidualNorms() throws {
        let model = SpliceTests.model, reference = SpliceTests.textModel, images = SpliceTests.images()
        func norm(_ m: CLIPModel, _ layer: Int) throws -> Double {
            let a = try m.activations(images: images, layer: layer, tokens: .all).toArray()
            let w = m.config.vision.width
            let rows = a.count / w
            var total = 0.0
            for r in 0..<rows {
                var squares = 0.0
                for t in 0..<w { squares += Double(a[r * w + t]) * Double(a[r * w + t]) }
                total += squares.squareRoot()
            }
            return total / Double(rows)
        }
        let c = try ClampCalibration.calibrate(model, layer: 1, reference: reference, referenceLayer: 0, referenceClamp: 150, images: images)
        #expect(abs(c.modelNorm - (try norm(model, 1))) < 1e-4 * c.modelNorm)
        #expect(abs(c.referenceNorm - (try norm(reference, 0))) < 1e-4 * c.referenceNorm)
        #expect(abs(c.clamp - 150 * c.modelNorm / c.referenceNorm) < 1e-9)
        let same = try ClampCalibration.calibrate(model, layer: 1, reference: model, referenceLayer: 1, referenceClamp: 150, images: images)
        #expect(same.scale == 1 && same.clamp == 150)
        // The preset's clamp belongs to ViT-B/32 layer 11: another reference is refused, naming what to load.
        #expect(throws: AnalysisError.self) {
            try SteerabilityProtocol.joseph2025.calibrate(model, layer: 1, reference: reference, images: images)
        }
    }

    @Test func pach2025ScoresTheClassTokenWithASeparateJudge() {
        let p = MonosemanticityProtocol.pach2025
        #expect(p.tokens == .cls && p.separateJudge && p.images == 50_000)
        #expect(p.site == .embedding && p.trainedTokens == .cls && p.trainer == .dictionaryLearning)
        #expect(p.differences(site: .embedding, layer: 12, trainedTokens: .cls, trainer: .dictionaryLearning).isEmpty)
        let off = p.differences(site: .residPost, layer: 3, trainedTokens: .all, trainer: .saeLens)
        #expect(off.count == 2 && off[0].contains("site: .embedding") && off[1].contains("trainer: .dictionaryLearning"))
        #expect(p.differences(site: .embedding, layer: 12, trainedTokens: .cls, trainer: nil) == [
            "this SAE does not record its trainer; the paper's were trained by dictionary_learning"])
    }
}
