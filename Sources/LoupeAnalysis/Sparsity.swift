import LoupeSAE
import LoupeTensor

/// L0 (how many latents fire) per token, split by token type: the class
/// token against the spatial (patch) tokens, and the spatial tokens'
/// average over images as a map. Joseph et al. and Pach et al. report
/// spatial tokens far denser than CLS, and denser in the image centre.
package struct TokenSparsity: Sendable {
    /// L0 of each image's class token.
    package let cls: [Double]
    /// L0 of every spatial token, [images, patches] row-major, raster order.
    package let spatial: [Double]
    package let images: Int
    package let patches: Int
    /// Side of the patch grid (the model's), when the patches are its patches.
    package let grid: Int?

    /// Encodes every token of `perImage` ([images, tokens, width], CLS first)
    /// with `sae`. The SAE reads all token types here, whatever it was
    /// trained on, so that the two types are compared on equal terms.
    /// `grid`: the patch grid's side, from the model's config; `prefix`: the
    /// tokens before the patches (class token and any registers, which
    /// count as neither type).
    package static func measure(_ sae: SparseAutoencoder, tokens perImage: Tensor, grid: Int?, prefix: Int = 1) throws -> TokenSparsity {
        let (n, t, d) = (perImage.shape[0], perImage.shape[1], perImage.shape[2])
        try sae.checkInputWidth(d)
        guard prefix >= 1 else { throw AnalysisError.noClassToken }
        guard t > prefix else { throw AnalysisError.tooFewTokens(t) }
        let codes = sae.encode(UnsafePointer(perImage.pointer), rows: n * t)
        var cls: [Double] = [], spatial: [Double] = []
        cls.reserveCapacity(n)
        spatial.reserveCapacity(n * (t - prefix))
        for i in 0..<n {
            cls.append(Double(codes.row(i * t).count))
            for p in prefix..<t { spatial.append(Double(codes.row(i * t + p).count)) }
        }
        return TokenSparsity(cls: cls, spatial: spatial, images: n, patches: t - prefix,
                             grid: grid.flatMap { $0 * $0 == t - prefix ? $0 : nil })
    }

    package var meanCLS: Double { Self.mean(cls) }
    package var meanSpatial: Double { Self.mean(spatial) }

    /// The mean L0 of each patch position over the images (length `patches`).
    package var spatialMap: [Double] {
        var map = [Double](repeating: 0, count: patches)
        for i in 0..<images { for p in 0..<patches { map[p] += spatial[i * patches + p] } }
        return map.map { $0 / Double(max(1, images)) }
    }

    /// Mean L0 of the central patches against the border ring of the grid
    /// (the "denser in the centre" comparison); nil without a grid of side 3+.
    package var centreAndBorder: (centre: Double, border: Double)? {
        guard let g = grid, g >= 3 else { return nil }
        let map = spatialMap
        var centre: [Double] = [], border: [Double] = []
        for r in 0..<g {
            for c in 0..<g {
                if r == 0 || c == 0 || r == g - 1 || c == g - 1 { border.append(map[r * g + c]) } else { centre.append(map[r * g + c]) }
            }
        }
        return (Self.mean(centre), Self.mean(border))
    }

    /// The q-quantile (0...1) of a sample, by nearest rank.
    package static func quantile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count - 1)).rounded())))]
    }

    static func mean(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.reduce(0, +) / Double(v.count) }
}
