import LoupeTensor

extension AttentionPoolWeights {
    /// The pooled embedding [batch, width] of normalised tokens `x`
    /// ([batch·tokens, width]): one query, the probe, attends over each
    /// image's tokens with `heads` heads; then out-projection, and a
    /// residual MLP behind its own layer norm.
    func apply(_ x: Tensor, batch: Int, tokens: Int, heads: Int, activation: Kernels.Activation) -> Tensor {
        let width = probe.count, rows = batch * tokens, headDim = width / heads
        // Keys and values of every token, each [rows, width].
        let keys = Tensor(uninitialized: [rows, width]), values = Tensor(uninitialized: [rows, width])
        key.apply(x.pointer, rows: rows, into: keys.pointer)
        value.apply(x.pointer, rows: rows, into: values.pointer)
        Kernels.addBias(keys.pointer, rows: rows, width: width, bias: key.bias!.pointer)
        Kernels.addBias(values.pointer, rows: rows, width: width, bias: value.bias!.pointer)
        // The probe's query is the same for every image.
        let q = Tensor(uninitialized: [1, width])
        query.apply(probe.pointer, rows: 1, into: q.pointer)
        Kernels.addBias(q.pointer, rows: 1, width: width, bias: query.bias!.pointer)

        let attended = Tensor(zeros: [batch, width])
        let scale = 1 / Float(headDim).squareRoot()
        Parallel.forEach(batch) { range in
            var scores = [Float](repeating: 0, count: tokens)
            for b in range {
                for h in 0..<heads {
                    let qh = q.pointer + h * headDim
                    for t in 0..<tokens {
                        let kt = keys.pointer + (b * tokens + t) * width + h * headDim
                        var dot: Float = 0
                        for d in 0..<headDim { dot += qh[d] * kt[d] }
                        scores[t] = dot * scale
                    }
                    scores.withUnsafeMutableBufferPointer { Kernels.softmaxRow($0.baseAddress!, count: tokens) }
                    let out = attended.pointer + b * width + h * headDim
                    for t in 0..<tokens {
                        let vt = values.pointer + (b * tokens + t) * width + h * headDim, p = scores[t]
                        for d in 0..<headDim { out[d] += p * vt[d] }
                    }
                }
            }
        }
        let pooled = Tensor(uninitialized: [batch, width])
        outProj.apply(attended.pointer, rows: batch, into: pooled.pointer)
        if let bias = outProj.bias { Kernels.addBias(pooled.pointer, rows: batch, width: width, bias: bias.pointer) }

        let normed = Tensor(uninitialized: [batch, width])
        ln.apply(pooled.pointer, rows: batch, into: normed.pointer)
        let hidden = Tensor(uninitialized: [batch, fc1.outFeatures])
        fc1.apply(normed.pointer, rows: batch, into: hidden.pointer)
        Kernels.biasActivation(hidden.pointer, rows: batch, width: fc1.outFeatures, bias: fc1.bias?.pointer, activation: activation)
        fc2.apply(hidden.pointer, rows: batch, into: normed.pointer)
        Kernels.addWithBias(normed.pointer, bias: fc2.bias?.pointer, into: pooled.pointer, rows: batch, width: width)
        return pooled
    }
}
