import LoupeJSON
import LoupeTensor

/// A sparse autoencoder: z = act(W_enc (x − b_dec) + b_enc), x̂ = W_dec z + b_dec.
///
/// Weights are kept with one contiguous row per latent — `wEnc[j]` reads
/// latent j, `wDec[j]` writes it — so sparse training touches whole rows.
/// SAELens's `W_enc` [d_in, d_sae] is the transpose of `wEnc`; its `W_dec`
/// [d_sae, d_in] is `wDec` as is.
package final class SparseAutoencoder: @unchecked Sendable {
    package let dIn: Int
    package let dSAE: Int
    package var architecture: any SAEArchitecture
    package var wEnc: [Float]      // [dSAE, dIn]
    package var bEnc: [Float]      // [dSAE]
    package var wDec: [Float]      // [dSAE, dIn]
    package var bDec: [Float]      // [dIn]
    /// Per-latent threshold (JumpReLU, trained BatchTopK); zeros otherwise.
    package var threshold: [Float] // [dSAE]
    /// Per-token normalisation of the input (SAEs loaded from SAELens or
    /// ViT-Prisma may use one; those trained here do not).
    package var inputNormalization: InputNormalization = .none
    /// What the SAE's file or training activations recorded about their origin.
    package private(set) var metadata: SAEMetadata
    /// How training went, when Loupe trained it (saved beside it as `training_history.json`).
    package var history: TrainingHistory?
    /// The model, layer, site and tokens it reads, typed from `metadata`
    /// once, so an unknown site is refused here and not guessed at each use.
    package private(set) var hookPoint: HookPoint

    /// A fresh SAE: unit-norm random decoder rows, encoder tied to the
    /// decoder, zero biases.
    package init(dIn: Int, dSAE: Int, architecture: any SAEArchitecture, seed: UInt64 = 0, metadata: SAEMetadata = SAEMetadata()) throws {
        guard dIn > 0, dSAE > 0 else { throw SAEError.invalidSetting("an SAE needs positive input width and latent count, got d_in \(dIn), d_sae \(dSAE)") }
        try architecture.validate(dIn: dIn, dSAE: dSAE)
        self.dIn = dIn; self.dSAE = dSAE; self.architecture = architecture
        self.metadata = metadata; self.hookPoint = try HookPoint(metadata: metadata)
        var rng = SeededRandom(seed: seed)
        var dec = [Float](repeating: 0, count: dSAE * dIn)
        for j in 0..<dSAE {
            var norm = 0.0
            for t in 0..<dIn { let v = rng.nextNormal(); dec[j * dIn + t] = Float(v); norm += v * v }
            let s = Float(1 / norm.squareRoot())
            for t in 0..<dIn { dec[j * dIn + t] *= s }
        }
        wDec = dec
        wEnc = dec
        bEnc = [Float](repeating: 0, count: dSAE)
        bDec = [Float](repeating: 0, count: dIn)
        threshold = [Float](repeating: architecture.initialThreshold, count: dSAE)
    }

    /// An SAE from explicit weights (`wEnc` and `wDec` both [dSAE, dIn]).
    package init(dIn: Int, dSAE: Int, architecture: any SAEArchitecture, wEnc: [Float], bEnc: [Float],
                wDec: [Float], bDec: [Float], threshold: [Float]? = nil, metadata: SAEMetadata = SAEMetadata()) throws {
        guard dIn > 0, dSAE > 0 else { throw SAEError.invalidSetting("an SAE needs positive input width and latent count, got d_in \(dIn), d_sae \(dSAE)") }
        try architecture.validate(dIn: dIn, dSAE: dSAE)
        func check(_ name: String, _ a: [Float], _ n: Int) throws {
            guard a.count == n else { throw SAEError.shapeMismatch("\(name) holds \(a.count) values, expected \(n) for d_in \(dIn), d_sae \(dSAE)") }
        }
        try check("W_enc", wEnc, dIn * dSAE); try check("W_dec", wDec, dIn * dSAE)
        try check("b_enc", bEnc, dSAE); try check("b_dec", bDec, dIn)
        if let threshold { try check("threshold", threshold, dSAE) }
        if architecture.usesThreshold && threshold == nil {
            throw SAEError.invalidSetting("a \(architecture.architectureName) SAE needs a threshold tensor")
        }
        self.dIn = dIn; self.dSAE = dSAE; self.architecture = architecture
        self.wEnc = wEnc; self.bEnc = bEnc; self.wDec = wDec; self.bDec = bDec
        self.threshold = threshold ?? [Float](repeating: 0, count: dSAE)
        self.metadata = metadata; self.hookPoint = try HookPoint(metadata: metadata)
    }

    /// Replaces the metadata, typing its hook point again.
    package func setMetadata(_ metadata: SAEMetadata) throws {
        hookPoint = try HookPoint(metadata: metadata)
        self.metadata = metadata
    }

    /// Records a free-form metadata field; it cannot move the hook point.
    package func setExtraMetadata(_ value: JSON, forKey key: String) {
        metadata.extra[key] = value
    }

    /// A deep copy (weights are value arrays, so this is cheap to write).
    package func copy() -> SparseAutoencoder {
        let copy = try! SparseAutoencoder(dIn: dIn, dSAE: dSAE, architecture: architecture, wEnc: wEnc, bEnc: bEnc,
                                          wDec: wDec, bDec: bDec, threshold: threshold, metadata: metadata)
        copy.inputNormalization = inputNormalization
        copy.history = history
        return copy
    }

    /// Refuses activations of the wrong width with a message that names the
    /// layer the SAE was trained on.
    package func checkInputWidth(_ width: Int, for what: String = "these activations") throws {
        guard width != dIn else { return }
        var trained = ""
        if let model = metadata.model { trained += " of \(model)" }
        if let layer = metadata.layer { trained += " layer \(layer)" }
        if let site = metadata.site { trained += " (\(site))" }
        throw SAEError.shapeMismatch("this SAE reads \(dIn)-wide activations\(trained.isEmpty ? "" : " from" + trained), but \(what) are \(width) wide; "
            + "use an SAE trained on this model and layer, or train one with SAE.train")
    }

    /// Pre-activations W_enc (N(x) − b_dec) + b_enc for `rows` tokens,
    /// [rows, dSAE], N being the input normalisation (none for most SAEs).
    package func preActivations(_ x: UnsafePointer<Float>, rows: Int) -> [Float] {
        var centred = [Float](repeating: 0, count: rows * dIn)
        var pre = [Float](repeating: 0, count: rows * dSAE)
        let d = dIn, n = dSAE
        centred.withUnsafeMutableBufferPointer { c in
            let c = c.baseAddress!
            if inputNormalization != .none { _ = inputNormalization.normalize(x, rows: rows, width: d, into: c) }
            let input = inputNormalization == .none ? x : UnsafePointer(c)
            bDec.withUnsafeBufferPointer { bd in
                parallelRows(rows, grain: 64) { range in
                    for r in range { for t in 0..<d { c[r * d + t] = input[r * d + t] - bd[t] } }
                }
            }
            pre.withUnsafeMutableBufferPointer { p in
                let p = p.baseAddress!
                wEnc.withUnsafeBufferPointer { w in
                    if rows > 0 {
                        BLAS.gemm(m: rows, n: n, k: d, a: c, lda: d, b: w.baseAddress!, ldb: d, transB: true, c: p, ldc: n)
                    }
                }
                bEnc.withUnsafeBufferPointer { be in
                    parallelRows(rows, grain: 16) { range in
                        for r in range { for j in 0..<n { p[r * n + j] += be[j] } }
                    }
                }
            }
        }
        return pre
    }

    /// Latent codes of `rows` tokens given row-major [rows, dIn].
    package func encode(_ x: UnsafePointer<Float>, rows: Int) -> SparseCodes {
        let pre = preActivations(x, rows: rows)
        return pre.withUnsafeBufferPointer { p in
            threshold.withUnsafeBufferPointer { th in
                architecture.encode(pre: p.baseAddress!, rows: rows, dSAE: dSAE, threshold: th.baseAddress!)
            }
        }
    }

    /// Latent codes of a flat [rows, dIn] array; refuses a wrong width.
    package func encode(_ x: [Float], width: Int) throws -> SparseCodes {
        try checkInputWidth(width)
        guard x.count % width == 0 else { throw SAEError.shapeMismatch("activations hold \(x.count) values, not a whole number of \(width)-wide rows") }
        return x.withUnsafeBufferPointer { encode($0.baseAddress!, rows: x.count / width) }
    }

    /// x̂ = W_dec z + b_dec for each token, [rows, dIn].
    package func decode(_ codes: SparseCodes) -> [Float] {
        var out = [Float](repeating: 0, count: codes.rows * dIn)
        out.withUnsafeMutableBufferPointer { o in
            let o = o.baseAddress!
            wDec.withUnsafeBufferPointer { w in
                let w = w.baseAddress!
                parallelRows(codes.rows, grain: 16) { range in
                    for r in range {
                        let dst = o + r * dIn
                        for t in 0..<dIn { dst[t] = bDec[t] }
                        for e in codes.rowStart[r]..<codes.rowStart[r + 1] {
                            axpy(dIn, codes.value[e], w + Int(codes.index[e]) * dIn, dst)
                        }
                    }
                }
            }
        }
        return out
    }

    /// decode(codes) in the space of the input `x` the codes came from: with
    /// an input normalisation, each row's output is mapped back with that
    /// row's own scale and shift; without, it is decode(codes).
    package func decode(_ codes: SparseCodes, inputScaleOf x: UnsafePointer<Float>) -> [Float] {
        var out = decode(codes)
        guard inputNormalization != .none else { return out }
        var scratch = [Float](repeating: 0, count: codes.rows * dIn)
        let (scale, shift) = scratch.withUnsafeMutableBufferPointer {
            inputNormalization.normalize(x, rows: codes.rows, width: dIn, into: $0.baseAddress!)
        }
        for r in 0..<codes.rows { for t in 0..<dIn { out[r * dIn + t] = out[r * dIn + t] * scale[r] + shift[r] } }
        return out
    }

    /// What the SAE puts back in the residual stream for `rows` tokens.
    package func reconstruct(_ x: UnsafePointer<Float>, rows: Int) -> [Float] {
        decode(encode(x, rows: rows), inputScaleOf: x)
    }

    /// The same for a flat [rows, width] array; refuses a wrong width.
    package func reconstruct(_ x: [Float], width: Int) throws -> [Float] {
        try checkInputWidth(width)
        return x.withUnsafeBufferPointer { reconstruct($0.baseAddress!, rows: x.count / width) }
    }

    /// Decoder rows' Euclidean norms (1 for an SAE trained here without input normalisation).
    package var decoderNorms: [Float] { Self.decoderNorms(wDec, dIn: dIn) }

    package static func decoderNorms(_ wDec: [Float], dIn: Int) -> [Float] {
        (0..<(wDec.count / dIn)).map { j in
            var s: Float = 0
            for t in 0..<dIn { s += wDec[j * dIn + t] * wDec[j * dIn + t] }
            return s.squareRoot()
        }
    }

    /// `wEnc` (one row per latent) from the [d_in, d_sae] `W_enc` that
    /// SAELens, saev and ViT-Prisma write.
    package static func encoderRows(_ columns: [Float], dIn: Int, dSAE: Int) -> [Float] {
        var rows = [Float](repeating: 0, count: dIn * dSAE)
        for t in 0..<dIn { for j in 0..<dSAE { rows[j * dIn + t] = columns[t * dSAE + j] } }
        return rows
    }

    /// For an SAE that encodes act(W_enc x + b_enc), without subtracting
    /// b_dec first: the same map as Loupe's act(W_enc (x − b_dec) + b_enc')
    /// with b_enc' = b_enc + W_enc b_dec (`wEnc` [dSAE, dIn]).
    package static func foldDecoderBiasIntoEncoder(wEnc: [Float], bEnc: inout [Float], bDec: [Float]) {
        let dIn = bDec.count
        for j in 0..<bEnc.count {
            var s: Float = 0
            for t in 0..<dIn { s += wEnc[j * dIn + t] * bDec[t] }
            bEnc[j] += s
        }
    }

    package var summary: String {
        "SAE \(architecture) · d_in \(dIn) · \(dSAE) latents"
            + (inputNormalization == .none ? "" : " · input \(inputNormalization.configValue)")
            + (metadata.site == HookPoint.Site.embedding.rawValue ? " · the image embedding (post_projection)"
                : (metadata.layer.map { " · layer \($0)" } ?? "") + (metadata.site.map { " \($0)" } ?? ""))
    }
}
