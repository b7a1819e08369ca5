import LoupeCLIP
import LoupeImage
import LoupeSAE
import LoupeSites
import LoupeTensor

/// Zero-shot accuracy of one condition of the defence, clean and attacked,
/// over every seed (and draw) it ran with.
package struct DefenceOutcome: Sendable {
    package let condition: String
    /// The units ablated by the first seed (the first draw for random latents).
    package let units: [Int]
    /// Correct counts per run, seed-major, over `cleanCount` and `attackedCount` images.
    package let cleanCorrect: [Int]
    package let attackedCorrect: [Int]
    package let cleanCount: Int
    package let attackedCount: Int
    package let drawsPerSeed: Int

    private func perSeed(_ correct: [Int], of n: Int) -> [Double] {
        stride(from: 0, to: correct.count, by: drawsPerSeed).map { start in
            correct[start..<(start + drawsPerSeed)].map { Double($0) / Double(n) }.reduce(0, +) / Double(drawsPerSeed)
        }
    }

    private func estimate(_ correct: [Int], of n: Int) -> Estimate {
        let seeds = perSeed(correct, of: n)
        if seeds.count >= 2 { return Intervals.accuracyAcrossRuns(seeds, images: n, unit: "seeds") }
        if correct.count >= 2 { return Intervals.accuracyAcrossRuns(correct.map { Double($0) / Double(n) }, images: n, unit: "draws") }
        return Intervals.wilson(successes: correct[0], of: n)
    }

    package var clean: Estimate { estimate(cleanCorrect, of: cleanCount) }
    package var attacked: Estimate { estimate(attackedCorrect, of: attackedCount) }
    package var cleanMeasured: Measured { Measured(name: condition, estimate: clean, perSeed: perSeed(cleanCorrect, of: cleanCount)) }
    package var attackedMeasured: Measured {
        Measured(name: condition, estimate: attacked, perSeed: perSeed(attackedCorrect, of: attackedCount))
    }
}

/// The typographic defence as a reviewer would accept it: text latents are
/// selected on images with one set of words drawn on them and judged on
/// other images attacked with other words, so the defence is not fitted to
/// the attack it is scored on. Beside it, as many random live latents and
/// the residual coordinates (neurons) that the same selection finds.
package struct TypographicDefence {
    package let model: CLIPModel
    /// Zero-shot prompts and each test image's true class among them.
    package let prompts: [String]
    package let cleanImages: [RGBImage]
    package let cleanTruth: [Int]
    /// The test images with each attack word drawn, all words together.
    package let attackedImages: [RGBImage]
    package let attackedTruth: [Int]

    package init(model: CLIPModel, prompts: [String], clean: [RGBImage], cleanTruth: [Int], attacked: [RGBImage], attackedTruth: [Int]) {
        precondition(clean.count == cleanTruth.count && attacked.count == attackedTruth.count, "one class per image")
        self.model = model; self.prompts = prompts; cleanImages = clean; self.cleanTruth = cleanTruth
        attackedImages = attacked; self.attackedTruth = attackedTruth
    }

    /// Forward passes over the test images (clean and attacked count as one),
    /// plus the two over the selection images.
    package static func passes(seeds: Int, draws: Int) -> Int { 2 + 1 + seeds * (1 + draws) + 1 }

    private func correct(_ images: [RGBImage], _ truth: [Int], hooks: HookSet) throws -> Int {
        let p = try model.classify(images: images, labels: prompts, hooks: hooks).toArray()
        let c = prompts.count
        return truth.indices.filter { i in
            let row = p[(i * c)..<((i + 1) * c)]
            return row.indices.max { row[$0] < row[$1] }! - i * c == truth[i]
        }.count
    }

    private func run(_ hooks: HookSet) throws -> (clean: Int, attacked: Int) {
        (try correct(cleanImages, cleanTruth, hooks: hooks), try correct(attackedImages, attackedTruth, hooks: hooks))
    }

    /// `selectWith` are selection images with the selection words drawn,
    /// `selectWithout` the same images clean. Latents are ranked by
    /// `measure` on them (with `maxWithout` as in `Contrast.rank`).
    package func measure(saes: [SparseAutoencoder], layer: Int, site: ActivationSite, tokens: TokenSelection,
                         selectWith: [RGBImage], selectWithout: [RGBImage], top: Int, measure: ImageMeasure,
                         maxWithout: Double?, draws: Int, seed: UInt64,
                         onStep: (_ done: Int, _ total: Int) throws -> Void = { _, _ in }) throws -> [DefenceOutcome] {
        guard !selectWith.isEmpty, !selectWithout.isEmpty else { throw AnalysisError.emptyContrast }
        guard top >= 1, !saes.isEmpty else { throw AnalysisError.nothingToAblate }
        let draws = max(1, draws)
        let total = Self.passes(seeds: saes.count, draws: draws)
        var done = 0
        func step() throws { done += 1; try onStep(done, total) }
        let (streamWith, streamWithout) = try Contrast.streams(model, with: selectWith, without: selectWithout, layer: layer,
                                                               site: site, tokens: tokens, afterEach: step)
        func outcome(_ name: String, _ units: [Int], _ runs: [(clean: Int, attacked: Int)], draws: Int = 1) -> DefenceOutcome {
            DefenceOutcome(condition: name, units: units, cleanCorrect: runs.map(\.clean), attackedCorrect: runs.map(\.attacked),
                           cleanCount: cleanImages.count, attackedCount: attackedImages.count, drawsPerSeed: draws)
        }
        var out = [outcome("as is", [], [try run(HookSet())])]
        try step()
        var textRuns: [(clean: Int, attacked: Int)] = [], randomRuns: [(clean: Int, attacked: Int)] = []
        var firstText: [Int] = [], firstRandom: [Int] = []
        for (s, sae) in saes.enumerated() {
            let with = try Monosemanticity.imageActivations(sae, tokens: streamWith, measure: measure)
            let without = try Monosemanticity.imageActivations(sae, tokens: streamWithout, measure: measure)
            let text = Array(Contrast.rank(with: with, without: without, units: sae.dSAE, maxWithout: maxWithout).prefix(top))
            guard !text.isEmpty else { throw AnalysisError.nothingToAblate }
            let pool = Contrast.live(with, without, units: sae.dSAE).subtracting(text).sorted()
            if s == 0 { firstText = text }
            textRuns.append(try run(try Intervention.hooks(sae, layer: layer, site: site, tokens: tokens, ablate: text)))
            try step()
            for draw in 0..<draws {
                let units = Contrast.randomUnits(text.count, from: pool, seed: seed &+ UInt64(s * draws + draw))
                if s == 0 && draw == 0 { firstRandom = units }
                randomRuns.append(try run(try Intervention.hooks(sae, layer: layer, site: site, tokens: tokens, ablate: units)))
                try step()
            }
        }
        out.append(outcome("text latents", firstText, textRuns))
        out.append(outcome("random latents", firstRandom, randomRuns, draws: draws))
        let neurons = Array(Contrast.rankNeurons(with: streamWith, without: streamWithout).prefix(top))
        let width = model.siteWidth(site)
        out.append(outcome("text neurons", neurons, [try run(try Intervention.zeroing(neurons: neurons, layer: layer, site: site,
                                                                                    tokens: tokens, width: width))]))
        try step()
        return out
    }

    /// What a reader asks of the table: does ablating the text latents
    /// recover attacked accuracy, beat random latents and the neurons, and
    /// what does it cost on clean images.
    package static func comparisons(_ outcomes: [DefenceOutcome]) -> [(what: String, comparison: Comparison)] {
        func find(_ name: String) -> DefenceOutcome? { outcomes.first { $0.condition == name } }
        guard let text = find("text latents") else { return [] }
        var out: [(String, Comparison)] = []
        for other in ["as is", "random latents", "text neurons"] {
            if let o = find(other) { out.append(("attacked", Comparison(text.attackedMeasured, o.attackedMeasured))) }
        }
        if let asIs = find("as is") { out.append(("clean", Comparison(text.cleanMeasured, asIs.cleanMeasured))) }
        return out
    }
}
