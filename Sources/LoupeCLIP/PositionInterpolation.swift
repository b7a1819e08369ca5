import LoupeTensor

/// Resizes a square grid of position embeddings as transformers does when
/// a DINOv2 runs on images of another size than its positions were trained
/// for (the published weights: a 37×37 grid, run on 224-pixel crops):
/// `torch.nn.functional.interpolate(mode="bicubic", align_corners=False)`
/// in float32, channel by channel.
enum PositionInterpolation {
    /// `grid` [from·from, width] resized to [to·to, width].
    /// - `antialias: false` (Dinov2Model): the cubic convolution with
    ///   a = −0.75 on the four nearest samples, edges clamped.
    /// - `antialias: true` (Dinov2WithRegistersModel): PIL's bicubic
    ///   (a = −0.5), its support widened by the scale when shrinking, taps
    ///   normalised to sum to one, samples outside the grid left out.
    static func bicubic(_ grid: Tensor, from: Int, to: Int, antialias: Bool) -> Tensor {
        let width = grid.shape[1]
        let taps = antialias ? antialiasedTaps(from: from, to: to) : cubicTaps(from: from, to: to)
        // Rows first (along x), then columns (along y): separable, as torch's kernels are.
        let rows = Tensor(zeros: [from * to, width])
        for y in 0..<from {
            for (x, tap) in taps.enumerated() {
                let dst = rows.pointer + (y * to + x) * width
                for (i, w) in zip(tap.indices, tap.weights) {
                    let src = grid.pointer + (y * from + i) * width
                    for d in 0..<width { dst[d] += w * src[d] }
                }
            }
        }
        let out = Tensor(zeros: [to * to, width])
        for (y, tap) in taps.enumerated() {
            for x in 0..<to {
                let dst = out.pointer + (y * to + x) * width
                for (i, w) in zip(tap.indices, tap.weights) {
                    let src = rows.pointer + (i * to + x) * width
                    for d in 0..<width { dst[d] += w * src[d] }
                }
            }
        }
        return out
    }

    struct Tap { var indices: [Int]; var weights: [Float] }

    /// torch's upsample_bicubic2d: source position scale·(i + ½) − ½, four
    /// taps around its floor, indices clamped to the grid.
    static func cubicTaps(from: Int, to: Int) -> [Tap] {
        let scale = Float(from) / Float(to), a: Float = -0.75
        func near(_ x: Float) -> Float { ((a + 2) * x - (a + 3)) * x * x + 1 }
        func far(_ x: Float) -> Float { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
        return (0..<to).map { i in
            let real = scale * (Float(i) + 0.5) - 0.5
            let base = Int(real.rounded(.down)), t = real - Float(base)
            let weights = [far(t + 1), near(t), near(1 - t), far(2 - t)]
            let indices = (-1...2).map { min(max(base + $0, 0), from - 1) }
            return Tap(indices: indices, weights: weights)
        }
    }

    /// torch's antialiased bicubic (PIL's filter on float samples).
    static func antialiasedTaps(from: Int, to: Int) -> [Tap] {
        let scale = Double(from) / Double(to)
        let support = scale >= 1 ? 2 * scale : 2.0
        let invScale = scale >= 1 ? 1 / scale : 1.0
        func cubic(_ xIn: Double) -> Double {
            let a = -0.5, x = abs(xIn)
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        }
        return (0..<to).map { i in
            let center = scale * (Double(i) + 0.5)
            let lo = max(Int(center - support + 0.5), 0)
            let hi = min(Int(center + support + 0.5), from)
            let raw = (lo..<hi).map { cubic((Double($0) - center + 0.5) * invScale) }
            let total = raw.reduce(0, +)
            return Tap(indices: Array(lo..<hi), weights: raw.map { Float(total != 0 ? $0 / total : $0) })
        }
    }
}
