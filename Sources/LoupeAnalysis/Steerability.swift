import Foundation
import LoupeCLIP
import LoupeImage
import LoupeSAE
import LoupeSites
import LoupeTensor

/// Joseph et al.'s steerability. Clamping unit f (an SAE latent, or one
/// residual coordinate for the neuron baseline) to value a on every token,
/// with p(v|x) = softmax_v(100 <e(x), t_v>) over a vocabulary of normalised
/// text embeddings t_v and the normalised image embedding e(x):
///   Delta_f(v) = mean over images of p_steered(v|x) - p(v|x)
///   S(f) = sum over v of Delta_f(v)^2, steerable when S(f) > 0.10.
package struct SteerabilityResult: Sendable {
    package let units: [Int]
    package let scores: [Double]
    /// argmax_v Delta_f(v) and its value, per unit.
    package let topWord: [Int]
    package let topDelta: [Double]
    /// argmax_v p_steered(v | x_0), per unit: Prisma's notebooks' top word.
    package let firstImageWord: [Int]
    package let vocabulary: [String]
    package static let threshold = 0.10

    package init(units: [Int], scores: [Double], topWord: [Int], topDelta: [Double], firstImageWord: [Int], vocabulary: [String]) {
        self.units = units; self.scores = scores; self.topWord = topWord; self.topDelta = topDelta
        self.firstImageWord = firstImageWord; self.vocabulary = vocabulary
    }

    package var steerable: [Int] { scores.indices.filter { scores[$0] > SteerabilityResult.threshold } }
    package var meanScore: Double { scores.isEmpty ? 0 : scores.reduce(0, +) / Double(scores.count) }
    package var fractionSteerable: Double { scores.isEmpty ? 0 : Double(steerable.count) / Double(scores.count) }
    /// Distinct top-1 words among steerable units, the word picked as `count` says.
    package func coverage(_ count: ConceptCoverage) -> Int {
        let words = count == .meanDelta ? topWord : firstImageWord
        return Set(steerable.map { words[$0] }).count
    }
    /// Coverage as the paper's figures count it: the top word on the first image.
    package var coverage: Int { coverage(.firstImage) }
    /// The fraction steerable with Wilson's 95% interval over the units measured.
    package var fractionEstimate: Estimate { Intervals.wilson(successes: steerable.count, of: scores.count, unit: "units") }
    /// Mean S with a bootstrap interval over the units measured.
    package var meanEstimate: Estimate { Intervals.bootstrapMean(scores, unit: "units") }
}

package enum Steerability {
    /// How a unit changes the residual stream [images, tokens, width] at the hook.
    package enum Unit {
        case latent(SparseAutoencoder, tokens: TokenSelection)
        case neuron
    }

    /// Measures `units` (latent numbers, or residual coordinates for
    /// `.neuron`) at `layer`'s resid_post. At the last layer a clamp reaches
    /// the embedding only through ln_post and the projection, so every
    /// unit is done in closed form, batched through BLAS; earlier layers
    /// rerun only the blocks after the hook. `progress(done)` returning
    /// false stops early, keeping the units done.
    package static func measure(_ model: CLIPModel, kind: Unit, units: [Int], layer: Int, images: [RGBImage],
                               vocabulary: [String], clamp: Float, progress: (Int) -> Bool = { _ in true }) throws -> SteerabilityResult {
        try validate(kind: kind, units: units, width: model.config.vision.width)
        if layer == model.config.vision.layers - 1, model.imageHead != nil {
            return try measureLastLayer(model, kind: kind, units: units, images: images, vocabulary: vocabulary,
                                        clamp: clamp, progress: progress)
        }
        return try measureByRerun(model, kind: kind, units: units, layer: layer, images: images, vocabulary: vocabulary,
                                  clamp: clamp, progress: progress)
    }

    static func validate(kind: Unit, units: [Int], width: Int) throws {
        switch kind {
        case .latent(let sae, _):
            try sae.checkInputWidth(width)
            for u in units where u < 0 || u >= sae.dSAE { throw AnalysisError.noSuchLatent(u, latents: sae.dSAE) }
        case .neuron:
            for u in units where u < 0 || u >= width { throw AnalysisError.noSuchNeuron(u, width: width) }
        }
    }

    /// The last layer in closed form (ClosedFormSteering): only the class
    /// token reaches the embedding, through ln_post and the projection.
    static func measureLastLayer(_ model: CLIPModel, kind: Unit, units: [Int], images: [RGBImage], vocabulary: [String],
                                 clamp: Float, progress: (Int) -> Bool) throws -> SteerabilityResult {
        let width = model.config.vision.width, layer = model.config.vision.layers - 1
        let cls = try model.activations(images: images, layer: layer, site: .residPost, tokens: .cls)
        let tokens = cls.reshaped([images.count, width])
        let text = try model.embed(texts: vocabulary)
        let n = images.count
        let direction: (Int, UnsafeMutablePointer<Float>) -> Void
        let shift: (Int, UnsafeMutablePointer<Float>) -> Void
        switch kind {
        case .latent(let sae, let selection):
            // The clamp reaches the class token only if the selection holds it.
            let touchesClass = selection.range(tokens: model.config.visionTokens).contains(0)
            var current: [Int: [(image: Int, value: Float)]] = [:]
            if touchesClass {
                let codes = sae.encode(UnsafePointer(tokens.pointer), rows: n)
                for i in 0..<n { for (latent, value) in codes.row(i) { current[latent, default: []].append((i, value)) } }
            }
            // An SAE that normalises its input moves each class token at that token's own scale.
            let scales = sae.inputNormalization.outputScales(tokens.pointer, rows: n, width: width)
            direction = { k, out in
                sae.wDec.withUnsafeBufferPointer { out.update(from: $0.baseAddress! + units[k] * width, count: width) }
            }
            shift = { k, out in
                out.update(repeating: touchesClass ? clamp : 0, count: n)
                if touchesClass { for (i, z) in current[units[k]] ?? [] { out[i] = clamp - z } }
                for i in 0..<n { out[i] *= scales[i] }
            }
        case .neuron:
            direction = { k, out in
                out.update(repeating: 0, count: width)
                out[units[k]] = 1
            }
            shift = { k, out in for i in 0..<n { out[i] = clamp - tokens.pointer[i * width + units[k]] } }
        }
        let r = ClosedFormSteering.measure(head: model.imageHead!, classTokens: tokens, text: text, units: units.count,
                                           direction: direction, shift: shift) { done in progress(min(done, units.count)) }
        return SteerabilityResult(units: Array(units.prefix(r.scores.count)), scores: r.scores, topWord: r.topWord,
                                  topDelta: r.topDelta, firstImageWord: r.firstImageWord, vocabulary: vocabulary)
    }

    /// Earlier layers: the steered stream runs through the blocks after the
    /// hook, one unit at a time.
    static func measureByRerun(_ model: CLIPModel, kind: Unit, units: [Int], layer: Int, images: [RGBImage],
                               vocabulary: [String], clamp: Float, progress: (Int) -> Bool) throws -> SteerabilityResult {
        let width = model.config.vision.width, tokenCount = model.config.visionTokens
        let residual = try model.activations(images: images, layer: layer, site: .residPost, tokens: .all)
        let text = try model.embed(texts: vocabulary)   // normalised [V, D]
        let n = images.count, v = vocabulary.count

        let base = SteeringDelta.probabilities(imageEmbeddings: try model.encodeImages(residPre: residual, layer: layer + 1), text: text)

        // Per-token activation of each unit, to move every token to the clamp value.
        var codes: SparseCodes? = nil, scales: [Float] = []
        var selected = 0..<tokenCount
        if case .latent(let sae, let tokens) = kind {
            selected = tokens.range(tokens: tokenCount, prefix: model.config.prefixTokens)
            let rows = Tensor(uninitialized: [n * selected.count, width])
            for i in 0..<n {
                (rows.pointer + i * selected.count * width)
                    .update(from: residual.pointer + (i * tokenCount + selected.lowerBound) * width, count: selected.count * width)
            }
            codes = sae.encode(UnsafePointer(rows.pointer), rows: n * selected.count)
            scales = sae.inputNormalization.outputScales(rows.pointer, rows: n * selected.count, width: width)
        }

        var scores: [Double] = [], topWord: [Int] = [], topDelta: [Double] = [], firstImageWord: [Int] = []
        for (done, unit) in units.enumerated() {
            let stream = residual.copy()
            for i in 0..<n {
                for t in selected {
                    let x = stream.pointer + (i * tokenCount + t) * width
                    switch kind {
                    case .latent(let sae, _):
                        let row = i * selected.count + (t - selected.lowerBound)
                        let z = codes!.row(row).first { $0.latent == unit }?.value ?? 0
                        let delta = (clamp - z) * scales[row]
                        if delta != 0 { sae.wDec.withUnsafeBufferPointer { w in for c in 0..<width { x[c] += delta * w[unit * width + c] } } }
                    case .neuron:
                        x[unit] = clamp
                    }
                }
            }
            let steered = SteeringDelta.probabilities(imageEmbeddings: try model.encodeImages(residPre: stream, layer: layer + 1),
                                                      text: text)
            let measured = SteeringDelta.unit(base: base, steered: steered, images: n, words: v)
            scores.append(measured.score)
            topWord.append(measured.topWord)
            topDelta.append(measured.topDelta)
            firstImageWord.append(measured.firstImageWord)
            if !progress(done + 1) { break }
        }
        return SteerabilityResult(units: Array(units.prefix(scores.count)), scores: scores, topWord: topWord,
                                  topDelta: topDelta, firstImageWord: firstImageWord, vocabulary: vocabulary)
    }
}
