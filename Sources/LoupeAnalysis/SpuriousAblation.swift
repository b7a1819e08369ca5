import LoupeCLIP
import LoupeImage
import LoupeSAE
import LoupeTensor

/// Per-group accuracies of a probe under one condition (an ablation or none).
package struct AblationOutcome: Sendable {
    package let condition: String
    /// The units zeroed (latents or neurons); empty for no ablation. For
    /// the random baseline, the first draw's.
    package let units: [Int]
    package let groups: [String]
    package let counts: [Int]
    /// Accuracy per group, averaged over draws for the random baseline.
    package let accuracies: [Double]
    package let overall: Double
    package var worst: Double { accuracies.min() ?? 0 }
}

/// Joseph et al.'s spurious-feature suppression with its baselines: rank
/// SAE latents (and, for the neuron baseline, residual coordinates) by the
/// contrast between images with and without the spurious attribute, zero
/// the top ones during the forward pass, and re-evaluate a probe trained on
/// the clean model's embeddings.
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

    static func outcome(_ condition: String, units: [Int], _ results: [GroupAccuracy]) -> AblationOutcome {
        let first = results[0]
        let accuracies = first.groups.indices.map { g in results.map { $0.groups[g].accuracy }.reduce(0, +) / Double(results.count) }
        return AblationOutcome(condition: condition, units: units, groups: first.groups.map(\.name), counts: first.groups.map(\.count),
                               accuracies: accuracies, overall: results.map(\.overall).reduce(0, +) / Double(results.count))
    }

    /// The four conditions of the comparison: no ablation, the top `top`
    /// SAE latents by contrast, `top` random latents (among those that fire
    /// on the contrast images; a dead latent's ablation would change
    /// nothing), averaged over `draws` seeded draws, and the top `top`
    /// residual coordinates by the same contrast, zeroed at the SAE's layer
    /// and site on its tokens. With `bothWays`, half the units come from
    /// each end of the ranking (the most negative differences too): for a
    /// binary attribute such as water/land, units that mark "land" carry
    /// the shortcut as well as those that mark "water".
    package func baselines(sae: SparseAutoencoder, layer: Int, site: ActivationSite, tokens: TokenSelection,
                          with: [RGBImage], without: [RGBImage], top: Int, bothWays: Bool = false, draws: Int = 3,
                          seed: UInt64 = 0, includeClean: Bool = true,
                          onStep: (_ done: Int, _ total: Int) throws -> Void = { _, _ in }) throws -> [AblationOutcome] {
        guard !with.isEmpty, !without.isEmpty else { throw AnalysisError.emptyContrast }
        guard top >= 1 else { throw AnalysisError.nothingToAblate }
        let width = model.config.vision.width
        // Each forward pass over a set of images is one step of the progress.
        let steps = 4 + max(1, draws) + (includeClean ? 1 : 0)
        var done = 0
        func step() throws { done += 1; try onStep(done, steps) }
        let streamWith = try model.activations(images: with, layer: layer, site: site, tokens: tokens)
        try step()
        let streamWithout = try model.activations(images: without, layer: layer, site: site, tokens: tokens)
        try step()
        let latentsWith = try Monosemanticity.imageActivations(sae, tokens: streamWith)
        let latentsWithout = try Monosemanticity.imageActivations(sae, tokens: streamWithout)
        func pick(_ ranking: [Int]) -> [Int] {
            guard bothWays else { return Array(ranking.prefix(top)) }
            let high = (top + 1) / 2
            return Array(ranking.prefix(high)) + Array(ranking.suffix(top - high).reversed())
        }
        let topLatents = pick(Contrast.rank(with: latentsWith, without: latentsWithout, units: sae.dSAE))
        let topNeurons = pick(Contrast.rankNeurons(with: streamWith, without: streamWithout))
        var live = Set<Int>()
        for a in [latentsWith, latentsWithout] { for (i, v) in a.enumerated() where v > 0 { live.insert(i % sae.dSAE) } }

        var out: [AblationOutcome] = []
        if includeClean { out.append(Self.outcome("no ablation", units: [], [evaluate()])); try step() }
        out.append(Self.outcome("top SAE latents", units: topLatents,
                                [evaluate(hooks: try Intervention.hooks(sae, layer: layer, site: site, tokens: tokens, ablate: topLatents))]))
        try step()
        var randomRuns: [GroupAccuracy] = [], firstDraw: [Int] = []
        for draw in 0..<max(1, draws) {
            let units = Contrast.randomUnits(topLatents.count, from: live.sorted(), seed: seed &+ UInt64(draw))
            if draw == 0 { firstDraw = units }
            randomRuns.append(evaluate(hooks: try Intervention.hooks(sae, layer: layer, site: site, tokens: tokens, ablate: units)))
            try step()
        }
        out.append(Self.outcome("random latents", units: firstDraw, randomRuns))
        out.append(Self.outcome("top neurons", units: topNeurons,
                                [evaluate(hooks: try Intervention.zeroing(neurons: topNeurons, layer: layer, site: site,
                                                                          tokens: tokens, width: width))]))
        try step()
        return out
    }
}
