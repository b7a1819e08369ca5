import Foundation
import LoupeCLIP
import LoupeTensor

/// Steerability at the last layer without running the head per case.
///
/// A clamp moves image i's class token to x' = x + a d (d the unit's
/// direction: a decoder row, or a basis vector for a neuron; a the clamp
/// value minus the unit's current value). The head is a layer norm and a
/// linear map, so with centred vectors x~ = x - mean(x), d~ = d - mean(d)
/// and G = diag(gamma) P:
///     e' = (G^T x~ + a G^T d~) / s + P^T beta,   s^2 = |x~ + a d~|^2 / W + eps
/// and a word's logit 100 <e', t> / |e'| needs only the products of t with
/// G^T x~ (per image), G^T d~ (per unit) and P^T beta (once), plus a few
/// scalars per (image, unit) pair for s and |e'|. Those products are three
/// matrix multiplications through BLAS; what is left per pair is the
/// softmax over the vocabulary, done by a vectorised kernel on every core.
enum ClosedFormSteering {
    struct Result {
        var scores: [Double] = []
        var topWord: [Int] = []
        var topDelta: [Double] = []
        var firstImageWord: [Int] = []
    }

    /// - classTokens: the last block's output at the class token, [n, W].
    /// - text: normalised word embeddings [V, D].
    /// - direction(u, out): writes unit u's direction (W floats).
    /// - shift(u, out): writes a for every image (n floats).
    /// - progress(done): called after each chunk of units; false stops, keeping what is done.
    static func measure(head: ImageHead, classTokens: Tensor, text: Tensor, units: Int,
                        direction: (Int, UnsafeMutablePointer<Float>) -> Void,
                        shift: (Int, UnsafeMutablePointer<Float>) -> Void,
                        progress: (Int) -> Bool) -> Result {
        let n = classTokens.shape[0], w = head.width, d = head.embedDim, v = text.shape[0]
        let temperature = Double(SteeringDelta.temperature)

        // G = diag(gamma) P, and h = P^T beta projected on the words.
        let g = head.projection.copy()
        for r in 0..<w { for c in 0..<d { g.pointer[r * d + c] *= head.gamma[r] } }
        var h = [Float](repeating: 0, count: d)
        for r in 0..<w { for c in 0..<d { h[c] += head.beta[r] * head.projection.pointer[r * d + c] } }
        let th = matrixVector(text, h)                 // [V]
        let hh = dot(h, h)

        // Per image: centred tokens, u = G^T x~, its words, and the scalars.
        let xc = classTokens.copy()
        centreRows(xc.pointer, rows: n, width: w)
        let u = gemm(xc, g, transB: false)             // [n, D]
        let tu = gemm(u, text, transB: true)           // [n, V]
        var xx = [Double](repeating: 0, count: n), uu = xx, uh = xx
        for i in 0..<n {
            xx[i] = dot(xc.pointer + i * w, xc.pointer + i * w, w)
            uu[i] = dot(u.pointer + i * d, u.pointer + i * d, d)
            uh[i] = h.withUnsafeBufferPointer { dot(u.pointer + i * d, $0.baseAddress!, d) }
        }
        let eps = Double(head.eps)

        // The unsteered probabilities, averaged over images (a = 0 for all).
        var alpha0 = [Float](repeating: 0, count: n), gamma0 = alpha0
        let zeros = [Float](repeating: 0, count: max(n, v))
        for i in 0..<n {
            let s = (xx[i] / Double(w) + eps).squareRoot()
            let norm = (uu[i] / (s * s) + 2 * uh[i] / s + hh).squareRoot()
            alpha0[i] = Float(temperature / (norm * s))
            gamma0[i] = Float(temperature / norm)
        }
        var baseMean = [Float](repeating: 0, count: v)
        var scratch = [Float](repeating: 0, count: v)
        Kernels.steerAccumulate(a: tu.pointer, lda: v, b: zeros, c: th, alpha: alpha0, beta: zeros, gamma: gamma0,
                                cases: n, count: v, scratch: &scratch, accumulate: &baseMean)
        for j in 0..<v { baseMean[j] /= Float(n) }

        var result = Result()
        let chunk = 512
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        var start = 0
        while start < units {
            let count = min(chunk, units - start)
            // Directions of this chunk, centred; their images under G and on the words.
            let dirs = Tensor(zeros: [count, w])
            for k in 0..<count { direction(start + k, dirs.pointer + k * w) }
            centreRows(dirs.pointer, rows: count, width: w)
            let vv = gemm(dirs, g, transB: false)              // [count, D]
            let tv = gemm(vv, text, transB: true)              // [count, V]
            let xd = gemm(xc, dirs, transB: true)              // [n, count]
            let uv = gemm(u, vv, transB: true)                 // [n, count]
            let shifts = Tensor(zeros: [count, n])
            for k in 0..<count { shift(start + k, shifts.pointer + k * n) }

            var scores = [Double](repeating: 0, count: count)
            var tops = [Int](repeating: 0, count: count)
            var topDeltas = [Double](repeating: 0, count: count)
            var firstWords = [Int](repeating: 0, count: count)
            let perWorker = (count + workers - 1) / workers
            scores.withUnsafeMutableBufferPointer { scoreOut in
                tops.withUnsafeMutableBufferPointer { topOut in
                    topDeltas.withUnsafeMutableBufferPointer { deltaOut in
                        firstWords.withUnsafeMutableBufferPointer { firstOut in
                            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                                var acc = [Float](repeating: 0, count: v)
                                var scratch = [Float](repeating: 0, count: v)
                                var alpha = [Float](repeating: 0, count: n), beta = alpha, gamma = alpha
                                let lo = worker * perWorker, hi = min(count, lo + perWorker)
                                guard lo < hi else { return }
                                for k in lo..<hi {
                                    let dd = dot(dirs.pointer + k * w, dirs.pointer + k * w, w)
                                    let vvk = dot(vv.pointer + k * d, vv.pointer + k * d, d)
                                    let vh = h.withUnsafeBufferPointer { dot(vv.pointer + k * d, $0.baseAddress!, d) }
                                    for i in 0..<n {
                                        let a = Double(shifts.pointer[k * n + i])
                                        let xdi = Double(xd.pointer[i * count + k]), uvi = Double(uv.pointer[i * count + k])
                                        let s = ((xx[i] + 2 * a * xdi + a * a * dd) / Double(w) + eps).squareRoot()
                                        let qq = uu[i] + 2 * a * uvi + a * a * vvk
                                        let qh = uh[i] + a * vh
                                        let norm = (qq / (s * s) + 2 * qh / s + hh).squareRoot()
                                        alpha[i] = Float(temperature / (norm * s))
                                        beta[i] = Float(a * temperature / (norm * s))
                                        gamma[i] = Float(temperature / norm)
                                    }
                                    for j in 0..<v { acc[j] = 0 }
                                    Kernels.steerAccumulate(a: tu.pointer, lda: v, b: tv.pointer + k * v, c: th,
                                                            alpha: alpha, beta: beta, gamma: gamma,
                                                            cases: n, count: v, scratch: &scratch, accumulate: &acc)
                                    var score = 0.0, best = 0, bestDelta = -Double.infinity
                                    for j in 0..<v {
                                        let delta = Double(acc[j]) / Double(n) - Double(baseMean[j])
                                        score += delta * delta
                                        if delta > bestDelta { bestDelta = delta; best = j }
                                    }
                                    scoreOut[k] = score
                                    topOut[k] = best
                                    deltaOut[k] = bestDelta
                                    // Prisma's word: the steered logits' argmax on image 0
                                    // (the softmax keeps the order).
                                    var first = 0, firstLogit = -Float.infinity
                                    for j in 0..<v {
                                        let logit = alpha[0] * tu.pointer[j] + beta[0] * tv.pointer[k * v + j] + gamma[0] * th[j]
                                        if logit > firstLogit { firstLogit = logit; first = j }
                                    }
                                    firstOut[k] = first
                                }
                            }
                        }
                    }
                }
            }
            result.scores += scores
            result.topWord += tops
            result.topDelta += topDeltas
            result.firstImageWord += firstWords
            start += count
            if !progress(start) { break }
        }
        return result
    }

    // MARK: small linear algebra on row-major tensors

    /// a · b (transB: a · b^T) through BLAS.
    private static func gemm(_ a: Tensor, _ b: Tensor, transB: Bool) -> Tensor {
        let m = a.shape[0], k = a.shape[1]
        let n = transB ? b.shape[0] : b.shape[1]
        let out = Tensor(uninitialized: [m, n])
        BLAS.gemm(m: m, n: n, k: k, a: a.pointer, lda: k, b: b.pointer, ldb: b.shape[1], transB: transB,
                  c: out.pointer, ldc: n)
        return out
    }

    private static func matrixVector(_ a: Tensor, _ x: [Float]) -> [Float] {
        let rows = a.shape[0], cols = a.shape[1]
        return x.withUnsafeBufferPointer { xp in (0..<rows).map { Float(dot(a.pointer + $0 * cols, xp.baseAddress!, cols)) } }
    }

    private static func centreRows(_ p: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        for r in 0..<rows {
            let row = p + r * width
            var mean = 0.0
            for c in 0..<width { mean += Double(row[c]) }
            let m = Float(mean / Double(width))
            for c in 0..<width { row[c] -= m }
        }
    }

    private static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Double {
        var s = 0.0
        for i in 0..<count { s += Double(a[i]) * Double(b[i]) }
        return s
    }

    private static func dot(_ a: [Float], _ b: [Float]) -> Double {
        a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in dot(x.baseAddress!, y.baseAddress!, a.count) } }
    }
}
