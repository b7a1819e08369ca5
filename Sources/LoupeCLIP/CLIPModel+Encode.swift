import Foundation
import LoupeImage
import LoupeTensor

extension CLIPModel {
    /// Default number of images per forward batch.
    package static let defaultBatchSize = 32

    /// Preprocesses images into a pixel batch [count, 3, size, size].
    package func pixels(_ images: [DecodedImage]) -> Tensor { preprocessor.batch(images) }

    /// Runs the image tower over preprocessed pixels [count, 3, size, size]
    /// in batches, calling `hooks` at every block; `progress` gets the
    /// number of images done after each batch and may return false to stop
    /// (the images finished so far are returned). Returns projected,
    /// unnormalised embeddings [done, embedDim].
    package func encodeImages(pixels: Tensor, hooks: HookSet = HookSet(), batchSize: Int = defaultBatchSize,
                             progress: ((Int) -> Bool)? = nil) -> Tensor {
        let count = pixels.shape[0]
        let hooks = self.hooks(adding: hooks)
        var parts: [Tensor] = []
        var start = 0
        while start < count {
            let end = min(count, start + max(1, batchSize))
            let batch = pixels.rows(start..<end)
            if let out = vision.forward(pixels: batch, hooks: hooks, firstItem: start) { parts.append(out) }
            start = end
            if let progress, !progress(start) { break }
        }
        return parts.isEmpty ? Tensor(zeros: [0, config.embedDim]) : Tensor.concatenate(parts)
    }

    /// Image embeddings [count, embedDim], L2-normalised unless `normalize` is false.
    package func embed(images: [DecodedImage], normalize: Bool = true, hooks: HookSet = HookSet(),
                      batchSize: Int = defaultBatchSize) -> Tensor {
        let hooks = self.hooks(adding: hooks)
        var parts: [Tensor] = []
        var start = 0
        while start < images.count {
            let end = min(images.count, start + max(1, batchSize))
            let batch = preprocessor.batch(Array(images[start..<end]))
            if let out = vision.forward(pixels: batch, hooks: hooks, firstItem: start) { parts.append(out) }
            start = end
        }
        let out = parts.isEmpty ? Tensor(zeros: [0, config.embedDim]) : Tensor.concatenate(parts)
        if normalize { CLIPModel.normalizeRows(out) }
        return out
    }

    /// Image embeddings of generated or already-decoded RGB pictures.
    package func embed(images: [RGBImage], normalize: Bool = true, hooks: HookSet = HookSet()) -> Tensor {
        embed(images: images.map(DecodedImage.init), normalize: normalize, hooks: hooks)
    }

    /// Text embeddings [count, embedDim], L2-normalised unless `normalize` is false.
    package func embed(texts: [String], normalize: Bool = true) throws -> Tensor {
        let text = try textTower()
        let tok = try tokenizer()
        let ids = texts.map { tok.tokenize($0, contextLength: config.contextLength) }
        return try embed(tokenIDs: ids, normalize: normalize, tower: text)
    }

    /// Text embeddings from token ids [count][contextLength].
    package func embed(tokenIDs: [[Int32]], normalize: Bool = true) throws -> Tensor {
        try embed(tokenIDs: tokenIDs, normalize: normalize, tower: try textTower())
    }

    /// The text tower, or the one error for a model without one.
    func textTower() throws -> TextTower {
        if let text { return text }
        switch config.family {
        case .dinov2:
            throw CLIPError(file: path, problem: "DINOv2 has no text tower, so it cannot embed text, classify zero-shot or steer towards words",
                            fix: "Load a CLIP or SigLIP model for zero-shot, steerability and clip.steer; DINOv2 serves activations, SAEs, L0 maps, top images, probes and MS judging.")
        case .clip, .siglip:
            throw CLIPError(file: path, problem: "this checkpoint has no text tower", fix: "Load a full checkpoint (image and text towers) to embed text.")
        }
    }

    func embed(tokenIDs: [[Int32]], normalize: Bool, tower: TextTower) throws -> Tensor {
        for (i, ids) in tokenIDs.enumerated() {
            guard ids.count == config.contextLength else {
                throw CLIPError(file: "text input \(i)", problem: "has \(ids.count) token ids, not \(config.contextLength)",
                                fix: "Tokenize with the model's context length.")
            }
            if let bad = ids.first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
                throw CLIPError(file: "text input \(i)", problem: "token id \(bad) is outside the vocabulary of \(config.vocabSize)",
                                fix: "Tokenize with the model's own tokenizer.")
            }
        }
        var parts: [Tensor] = []
        var start = 0
        while start < tokenIDs.count {
            let end = min(tokenIDs.count, start + 64)
            parts.append(tower.forward(tokens: Array(tokenIDs[start..<end])))
            start = end
        }
        let out = parts.isEmpty ? Tensor(zeros: [0, config.embedDim]) : Tensor.concatenate(parts)
        if normalize { CLIPModel.normalizeRows(out) }
        return out
    }

    /// Divides each row by its L2 norm in place.
    package static func normalizeRows(_ t: Tensor) {
        let width = t.shape.last ?? 0
        for r in 0..<(t.count / max(width, 1)) {
            let row = t.pointer + r * width
            var sum: Float = 0
            for i in 0..<width { sum += row[i] * row[i] }
            let inv = sum > 0 ? 1 / sum.squareRoot() : 0
            for i in 0..<width { row[i] *= inv }
        }
    }

    /// Zero-shot probabilities [images, labels]: softmax over labels of
    /// logitScale · cos(image, label text).
    package func classify(images: [DecodedImage], labels: [String], hooks: HookSet = HookSet()) throws -> Tensor {
        guard !labels.isEmpty else {
            throw CLIPError(file: "classify", problem: "no labels given", fix: "Pass at least one label, e.g. labels: [\"a cat\", \"a dog\"].")
        }
        let textEmb = try embed(texts: labels)
        let imageEmb = embed(images: images, hooks: hooks)
        return zeroShot(imageEmbeddings: imageEmb, textEmbeddings: textEmb)
    }

    /// Zero-shot probabilities [images, labels] for RGB pictures.
    package func classify(images: [RGBImage], labels: [String], hooks: HookSet = HookSet()) throws -> Tensor {
        try classify(images: images.map(DecodedImage.init), labels: labels, hooks: hooks)
    }

    /// Zero-shot probabilities of one image over `labels`.
    package func classify(_ image: RGBImage, labels: [String], hooks: HookSet = HookSet()) throws -> [Float] {
        try classify(images: [DecodedImage(image)], labels: labels, hooks: hooks).toArray()
    }

    /// Zero-shot probabilities for normalised embeddings: softmax over the
    /// labels of logitScale · I · Tᵀ (CLIP), or for SigLIP each label's own
    /// sigmoid(logitScale · I · Tᵀ + logitBias), as SigLIP was trained.
    package func zeroShot(imageEmbeddings: Tensor, textEmbeddings: Tensor) -> Tensor {
        guard let bias = logitBias else {
            return Self.zeroShotProbabilities(images: imageEmbeddings, text: textEmbeddings, scale: logitScale)
        }
        let logits = imageEmbeddings.matmul(textEmbeddings, transposeOther: true)
        for i in 0..<logits.count { logits.pointer[i] = 1 / (1 + Foundation.exp(-(logitScale * logits.pointer[i] + bias))) }
        return logits
    }

    /// softmax over the texts of `scale` · I · Tᵀ, per row of normalised
    /// image embeddings [images, D] against normalised text embeddings
    /// [texts, D]: zero-shot probabilities, computed here and nowhere else in
    /// float32 (the steering papers fix `scale` at 100).
    package static func zeroShotProbabilities(images: Tensor, text: Tensor, scale: Float) -> Tensor {
        let logits = images.matmul(text, transposeOther: true)
        let n = logits.count
        for i in 0..<n { logits.pointer[i] *= scale }
        Kernels.softmax(logits.pointer, rows: logits.shape[0], count: logits.shape[1])
        return logits
    }
}

extension CLIPModel {
    /// Finishes the image tower from block `layer` on, given that block's
    /// resid_pre for every token ([images, tokens, width], as captured by
    /// `activations(..., tokens: .all)`). Experiments that only change the
    /// stream at or after `layer` (clamping an SAE latent there, say) can
    /// capture once and rerun only the remaining blocks. `layer` may be the
    /// block count: then only the head runs, on the last block's output.
    /// Returns projected, unnormalised embeddings [images, embedDim].
    package func encodeImages(residPre: Tensor, layer: Int, hooks: HookSet = HookSet(),
                             batchSize: Int = defaultBatchSize) throws -> Tensor {
        let tokens = config.visionTokens, width = config.vision.width
        guard layer >= 0 && layer <= config.vision.layers else {
            throw CLIPError(file: path, problem: "layer \(layer) does not exist", fix: "This model has layers 0...\(config.vision.layers - 1).")
        }
        guard residPre.rank == 3, residPre.shape[1] == tokens, residPre.shape[2] == width else {
            throw CLIPError(file: path, problem: "the residual stream has shape \(residPre.shape), not [images, \(tokens), \(width)]",
                            fix: "Capture it with activations(..., tokens: .all).")
        }
        let hooks = self.hooks(adding: hooks)
        var parts: [Tensor] = []
        var start = 0
        while start < residPre.shape[0] {
            let end = min(residPre.shape[0], start + max(1, batchSize))
            let x = residPre.rows(start..<end)     // a copy: the pass overwrites it
            if let out = vision.run(x.reshaped([(end - start) * tokens, width]), batch: end - start, from: layer,
                                    hooks: hooks, firstItem: start, stopAfter: nil) {
                parts.append(out)
            }
            start = end
        }
        return parts.isEmpty ? Tensor(zeros: [0, config.embedDim]) : Tensor.concatenate(parts)
    }
}
