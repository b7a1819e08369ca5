import LoupeJSON

/// Quality of an SAE over an evaluation set.
package struct SAEMetrics: Sendable {
    package var tokens: Int
    /// Mean squared error per element: Σ|x − x̂|² / (tokens · d_in).
    package var mse: Double
    /// 1 − Σ|x − x̂|² / Σ|x − mean|², the mean taken over the evaluation set.
    package var explainedVariance: Double
    /// Mean number of non-zero latents per token.
    package var l0: Double
    /// Fraction of latents that never fire over the evaluation set.
    package var deadFraction: Double
    /// Fraction of latents that fire on more than 10% of tokens.
    package var denseFraction: Double
    /// Mean over tokens of cos(x, x̂).
    package var cosineSimilarity: Double
    /// For each latent, the fraction of tokens it fires on.
    package var density: [Double]

    package static let denseThreshold = 0.1

    package var json: JSON {
        ["tokens": .int(tokens), "mse": .double(mse), "explained_variance": .double(explainedVariance), "l0": .double(l0),
         "dead_fraction": .double(deadFraction), "dense_fraction": .double(denseFraction),
         "cosine_similarity": .double(cosineSimilarity)]
    }
}

/// Accumulates metrics batch by batch, in double precision.
package struct SAEMetricsAccumulator {
    let dIn: Int, dSAE: Int
    var tokens = 0
    var squaredError = 0.0
    var sum: [Double], sumSquares: [Double]
    var active = 0
    var cosine = 0.0
    var fires: [Int]

    package init(dIn: Int, dSAE: Int) {
        self.dIn = dIn; self.dSAE = dSAE
        sum = [Double](repeating: 0, count: dIn); sumSquares = sum
        fires = [Int](repeating: 0, count: dSAE)
    }

    package mutating func add(x: UnsafePointer<Float>, reconstruction xhat: [Float], codes: SparseCodes) {
        for r in 0..<codes.rows {
            var dotXY = 0.0, xx = 0.0, yy = 0.0
            for t in 0..<dIn {
                let a = Double(x[r * dIn + t]), b = Double(xhat[r * dIn + t])
                squaredError += (a - b) * (a - b)
                sum[t] += a; sumSquares[t] += a * a
                dotXY += a * b; xx += a * a; yy += b * b
            }
            // A zero vector reconstructed as zero counts as perfect.
            cosine += (xx > 0 && yy > 0) ? dotXY / (xx * yy).squareRoot() : (xx == yy ? 1 : 0)
        }
        for j in codes.index { fires[Int(j)] += 1 }
        active += codes.nonZeroCount
        tokens += codes.rows
    }

    package func result() -> SAEMetrics {
        let n = Double(max(tokens, 1))
        var total = 0.0
        for t in 0..<dIn { total += sumSquares[t] - sum[t] * sum[t] / n }
        let density = fires.map { Double($0) / n }
        return SAEMetrics(tokens: tokens, mse: squaredError / (n * Double(dIn)),
                          explainedVariance: total > 0 ? 1 - squaredError / total : 0,
                          l0: Double(active) / n,
                          deadFraction: Double(fires.filter { $0 == 0 }.count) / Double(dSAE),
                          denseFraction: Double(density.filter { $0 > SAEMetrics.denseThreshold }.count) / Double(dSAE),
                          cosineSimilarity: tokens > 0 ? cosine / n : 0, density: density)
    }
}

extension SparseAutoencoder {
    /// Metrics over one pass of `source` (or its first `maxTokens` rows).
    package func metrics(_ source: ActivationSource, maxTokens: Int? = nil, batchRows: Int = 4096) throws -> SAEMetrics {
        try checkInputWidth(source.width)
        try source.rewind()
        var acc = SAEMetricsAccumulator(dIn: dIn, dSAE: dSAE)
        var buffer = [Float](repeating: 0, count: batchRows * dIn)
        while maxTokens.map({ acc.tokens < $0 }) ?? true {
            let want = min(batchRows, (maxTokens ?? Int.max) - acc.tokens)
            let rows = try buffer.withUnsafeMutableBufferPointer { try source.read(into: $0.baseAddress!, maxRows: want) }
            if rows == 0 { break }
            buffer.withUnsafeBufferPointer { b in
                let codes = encode(b.baseAddress!, rows: rows)
                acc.add(x: b.baseAddress!, reconstruction: decode(codes, inputScaleOf: b.baseAddress!), codes: codes)
            }
        }
        try source.rewind()
        guard acc.tokens > 0 else { throw SAEError.empty("no activations to evaluate on") }
        return acc.result()
    }

    /// Metrics over a flat [tokens, width] matrix.
    package func metrics(_ x: [Float], width: Int) throws -> SAEMetrics {
        try metrics(MatrixActivationSource(values: x, width: width))
    }

    /// Fraction of tokens each latent fires on (for log-density histograms).
    package func density(_ source: ActivationSource, maxTokens: Int? = nil) throws -> [Double] {
        try metrics(source, maxTokens: maxTokens).density
    }

    /// One latent's activation on each row of a flat [tokens, width] matrix.
    package func featureActivations(_ x: [Float], width: Int, feature: Int) throws -> [Float] {
        guard feature >= 0 && feature < dSAE else {
            throw SAEError.noSuchLatent(feature, width: dSAE)
        }
        return try encode(x, width: width).column(feature)
    }
}
