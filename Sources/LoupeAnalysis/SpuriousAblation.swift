import LoupeCLIP
import LoupeImage
import LoupeSAE
import LoupeSites
import LoupeTensor

/// One condition of the comparison (no ablation, top latents, random
/// latents, top neurons) over every seed and draw it was run with.
package struct AblationOutcome: Sendable {
    package let condition: String
    /// The units zeroed (latents or neurons); empty for no ablation. For the
    /// random baseline, the first seed's first draw; for latents, the first seed's.
    package let units: [Int]
    /// Every run's per-group accuracy: one per seed, or seeds × draws for the
    /// random baseline (seed-major).
    package let runs: [GroupAccuracy]
    /// Draws per seed (1 but for the random baseline).
    package let drawsPerSeed: Int

    /// The group names, sorted, and their image counts (the same in every run).
    package var groups: [String] { runs[0].groups.map(\.name) }
    package var counts: [Int] { runs[0].groups.map(\.count) }
    /// Accuracy per group, averaged over runs.
    package var accuracies: [Double] {
        runs[0].groups.indices.map { g in runs.map { $0.groups[g].accuracy }.reduce(0, +) / Double(runs.count) }
    }
    package var overall: Double { runs.map(\.overall).reduce(0, +) / Double(runs.count) }
    /// The worst group's accuracy taken per run (per draw), then averaged
    /// within each seed: the worst group can differ between draws, and
    /// averaging groups first would hide that and bias the baseline upwards.
    package var worstPerSeed: [Double] {
        stride(from: 0, to: runs.count, by: drawsPerSeed).map { start in
            runs[start..<(start + drawsPerSeed)].map(\.worst).reduce(0, +) / Double(drawsPerSeed)
        }
    }
    package var worst: Double { worstEstimate.value }

    /// Worst-group accuracy with its interval: across seeds when there are
    /// several, across draws for one seed's random draws, and otherwise
    /// Wilson's over the worst group's images.
    package var worstEstimate: Estimate {
        let seeds = worstPerSeed
        let images = runs.compactMap { $0.worstGroup?.count }.min() ?? 0
        if seeds.count >= 2 { return Intervals.accuracyAcrossRuns(seeds, images: images, unit: "seeds") }
        if runs.count >= 2 { return Intervals.accuracyAcrossRuns(runs.map(\.worst), images: images, unit: "draws") }
        let g = runs[0].worstGroup!
        return Intervals.wilson(successes: g.correct, of: g.count, unit: "images")
    }

    package var measured: Measured { Measured(name: condition, estimate: worstEstimate, perSeed: worstPerSeed) }

    package init(condition: String, units: [Int], runs: [GroupAccuracy], drawsPerSeed: Int) {
        precondition(!runs.isEmpty && drawsPerSeed >= 1 && runs.count % drawsPerSeed == 0, "whole draws of at least one run")
        self.condition = condition; self.units = units; self.runs = runs; self.drawsPerSeed = drawsPerSeed
    }
}

/// The images that choose units and those that judge them must differ;
/// otherwise an ablation is scored on the data it was fitted to.
package enum SelectionOverlap {
    /// Throws when any identity appears on both sides, naming how many and one example.
    package static func check(selection: [String], evaluation: [String], selectionName: String, evaluationName: String) throws {
        let chosen = Set(selection)
        let shared = evaluation.filter { chosen.contains($0) }
        guard shared.isEmpty else {
            throw AnalysisError.overlap(shared: Set(shared).count, example: shared[0], selection: selectionName, evaluation: evaluationName)
        }
    }
}

/// Joseph et al.'s spurious-feature suppression with its baselines: rank
/// SAE latents (and, for the neuron baseline, residual coordinates) by the
/// contrast between images with and without the spurious attribute, zero
/// the top ones during the forward pass, and re-evaluate a probe trained on
/// the clean model's embeddings. Worst-group accuracy is over the groups
/// the caller forms (class × spurious attribute).
package struct SpuriousAblation {
    package let model: CLIPModel
    package let probe: LinearProbe
    /// The evaluation images, each image's true class and group name.
    package let images: [RGBImage]
    package let truth: [String]
    package let group: [String]

    package init(model: CLIPModel, probe: LinearProbe, images: [RGBImage], truth: [String], group: [String]) {
        precondition(images.count == truth.count && truth.count == group.count, "one class and one group per image")
        self.model = model; self.probe = probe; self.images = images; self.truth = truth; self.group = group
    }

    /// The probe's accuracy per group with `hooks` in every forward pass.
    package func evaluate(hooks: HookSet = HookSet()) -> GroupAccuracy {
        probe.groupAccuracy(model.embed(images: images, hooks: hooks).toArray(), truth: truth, groups: group)
    }

    /// How many forward passes over the evaluation images `baselines` makes,
    /// plus the two over the contrast images: for progress displays.
    package static func passes(seeds: Int, draws: Int, includeClean: Bool) -> Int {
        2 + seeds * (1 + draws) + 1 + (includeClean ? 1 : 0)
    }

    /// The four conditions of the comparison: no ablation; the top `top`
    /// latents by contrast of each SAE (one SAE per seed, all at one layer);
    /// `top` random latents (among those that fire on the contrast images;
    /// a dead latent's ablation would change nothing), `draws` seeded draws
    /// per seed; and the top `top` residual coordinates by the same
    /// contrast, zeroed at the SAEs' layer and site on their tokens, which
    /// depends on no seed. With `bothWays`, half the units come from each
    /// end of the ranking: for a binary attribute such as water/land, units
    /// that mark "land" carry the shortcut as well as those that mark "water".
    package func baselines(saes: [SparseAutoencoder], layer: Int, site: ActivationSite, tokens: TokenSelection,
                          with: [RGBImage], without: [RGBImage], top: Int, bothWays: Bool = false, draws: Int = 3,
                          seed: UInt64 = 0, includeClean: Bool = true,
                          onStep: (_ done: Int, _ total: Int) throws -> Void = { _, _ in }) throws -> [AblationOutcome] {
        guard !with.isEmpty, !without.isEmpty else { throw AnalysisError.emptyContrast }
        guard top >= 1 else { throw AnalysisError.nothingToAblate }
        guard !saes.isEmpty else { throw AnalysisError.nothingToAblate }
        let draws = max(1, draws)
        let width = model.siteWidth(site)
        let steps = Self.passes(seeds: saes.count, draws: draws, includeClean: includeClean)
        var done = 0
        func step() throws { done += 1; try onStep(done, steps) }
        let (streamWith, streamWithout) = try Contrast.streams(model, with: with, without: without, layer: layer, site: site,
                                                               tokens: tokens, afterEach: step)
        func pick(_ ranking: [Int]) -> [Int] {
            guard bothWays else { return Array(ranking.prefix(top)) }
            let high = (top + 1) / 2
            return Array(ranking.prefix(high)) + Array(ranking.suffix(top - high).reversed())
        }

        var out: [AblationOutcome] = []
        if includeClean {
            out.append(AblationOutcome(condition: "no ablation", units: [], runs: [evaluate()], drawsPerSeed: 1))
            try step()
        }
        var topRuns: [GroupAccuracy] = [], randomRuns: [GroupAccuracy] = []
        var firstTop: [Int] = [], firstRandom: [Int] = []
        for (s, sae) in saes.enumerated() {
            let latentsWith = try Monosemanticity.imageActivations(sae, tokens: streamWith)
            let latentsWithout = try Monosemanticity.imageActivations(sae, tokens: streamWithout)
            let topLatents = pick(Contrast.rank(with: latentsWith, without: latentsWithout, units: sae.dSAE))
            let live = Contrast.live(latentsWith, latentsWithout, units: sae.dSAE)
            if s == 0 { firstTop = topLatents }
            topRuns.append(evaluate(hooks: try Intervention.hooks(sae, layer: layer, site: site, tokens: tokens, ablate: topLatents)))
            try step()
            for draw in 0..<draws {
                // Seed-major draw numbers, so seed s's draws never repeat seed 0's.
                let units = Contrast.randomUnits(topLatents.count, from: live.sorted(), seed: seed &+ UInt64(s * draws + draw))
                if s == 0 && draw == 0 { firstRandom = units }
                randomRuns.append(evaluate(hooks: try Intervention.hooks(sae, layer: layer, site: site, tokens: tokens, ablate: units)))
                try step()
            }
        }
        out.append(AblationOutcome(condition: "top SAE latents", units: firstTop, runs: topRuns, drawsPerSeed: 1))
        out.append(AblationOutcome(condition: "random latents", units: firstRandom, runs: randomRuns, drawsPerSeed: draws))
        let topNeurons = pick(Contrast.rankNeurons(with: streamWith, without: streamWithout))
        out.append(AblationOutcome(condition: "top neurons", units: topNeurons, runs: [
            evaluate(hooks: try Intervention.zeroing(neurons: topNeurons, layer: layer, site: site, tokens: tokens, width: width)),
        ], drawsPerSeed: 1))
        try step()
        return out
    }

    /// The comparisons a reader of the table wants, each resolved or not:
    /// the top latents against no ablation, against random latents and
    /// against the top neurons.
    package static func comparisons(_ outcomes: [AblationOutcome], clean: AblationOutcome? = nil) -> [Comparison] {
        func find(_ name: String) -> AblationOutcome? { outcomes.first { $0.condition == name } }
        guard let latents = find("top SAE latents") else { return [] }
        return [find("no ablation") ?? clean, find("random latents"), find("top neurons")].compactMap { $0 }.map {
            Comparison(latents.measured, $0.measured)
        }
    }
}
