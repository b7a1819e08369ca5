import LoupeCLIP
import LoupeImage
import LoupeSAE
import LoupeSites
import LoupeTensor

/// Running CLIP with a sparse autoencoder in its residual stream.
package enum Splice {
    /// Hooks that replace the activations at `layer` and `site` with the
    /// SAE's reconstruction, on the tokens the SAE reads (the others pass
    /// through untouched), so everything downstream sees x_hat instead of x.
    package static func reconstructing(with sae: SparseAutoencoder, layer: Int, site: ActivationSite,
                                      tokens: TokenSelection) -> HookSet {
        var hooks = HookSet()
        hooks.add(layer: layer, site: site, tokens: tokens) { start, rows, width in
            start.update(from: sae.reconstruct(UnsafePointer(start), rows: rows), count: rows * width)
        }
        return hooks
    }
}

/// Zero-shot accuracy of a model with and without an SAE spliced in.
package struct SpliceAccuracy: Sendable {
    package let clean: Double
    package let spliced: Double
    /// How much of the clean accuracy survives the splice (spliced / clean).
    package var recovered: Double { clean > 0 ? spliced / clean : 0 }
}

extension Splice {
    /// Top-1 zero-shot accuracy over `images` whose true class is
    /// `truth[i]`, an index into `prompts`.
    package static func zeroShotAccuracy(_ model: CLIPModel, images: [RGBImage], truth: [Int], prompts: [String],
                                        hooks: HookSet = HookSet()) throws -> Double {
        precondition(images.count == truth.count, "one true class per image")
        let probabilities = try model.classify(images: images, labels: prompts, hooks: hooks).toArray()
        var correct = 0
        for (i, t) in truth.enumerated() {
            let row = probabilities[(i * prompts.count)..<((i + 1) * prompts.count)]
            if row.indices.max(by: { row[$0] < row[$1] })! - i * prompts.count == t { correct += 1 }
        }
        return Double(correct) / Double(max(1, truth.count))
    }

    /// Accuracy without the SAE and with it spliced in at its layer.
    package static func accuracy(_ model: CLIPModel, sae: SparseAutoencoder, layer: Int, site: ActivationSite,
                                tokens: TokenSelection, images: [RGBImage], truth: [Int], prompts: [String]) throws -> SpliceAccuracy {
        let clean = try zeroShotAccuracy(model, images: images, truth: truth, prompts: prompts)
        let hooks = reconstructing(with: sae, layer: layer, site: site, tokens: tokens)
        let spliced = try zeroShotAccuracy(model, images: images, truth: truth, prompts: prompts, hooks: hooks)
        return SpliceAccuracy(clean: clean, spliced: spliced)
    }
}
