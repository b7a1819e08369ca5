/// The latent codes of a batch of tokens, stored by row: token `r`'s active
/// latents are `index[rowStart[r]..<rowStart[r+1]]`, ascending, with their
/// (always positive) values. Only firing latents are stored, which is what
/// lets TopK-family training touch k latents per token instead of all.
package struct SparseCodes: Sendable {
    package var rows: Int
    package var width: Int
    package var rowStart: [Int]
    package var index: [Int32]
    package var value: [Float]

    package init(rows: Int, width: Int, rowStart: [Int], index: [Int32], value: [Float]) {
        self.rows = rows; self.width = width; self.rowStart = rowStart; self.index = index; self.value = value
    }

    /// Builds codes from per-row lists of (latent, value), sorting each row.
    init(rows: Int, width: Int, perRow: [[(Int32, Float)]]) {
        self.rows = rows; self.width = width
        var start = [0]; start.reserveCapacity(rows + 1)
        var idx: [Int32] = [], val: [Float] = []
        for r in 0..<rows {
            for (j, v) in perRow[r].sorted(by: { $0.0 < $1.0 }) { idx.append(j); val.append(v) }
            start.append(idx.count)
        }
        rowStart = start; index = idx; value = val
    }

    /// Number of stored (non-zero) entries.
    package var nonZeroCount: Int { index.count }

    /// Mean number of active latents per token.
    package var meanL0: Double { rows == 0 ? 0 : Double(index.count) / Double(rows) }

    /// Active latents of one token as (latent, value) pairs.
    package func row(_ r: Int) -> [(latent: Int, value: Float)] {
        (rowStart[r]..<rowStart[r + 1]).map { (Int(index[$0]), value[$0]) }
    }

    /// The codes as a dense row-major [rows, width] matrix.
    package func dense() -> [Float] {
        var out = [Float](repeating: 0, count: rows * width)
        for r in 0..<rows {
            for e in rowStart[r]..<rowStart[r + 1] { out[r * width + Int(index[e])] = value[e] }
        }
        return out
    }

    /// Activation of one latent for every token (zeros where it does not fire).
    package func column(_ latent: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows)
        for r in 0..<rows {
            for e in rowStart[r]..<rowStart[r + 1] where Int(index[e]) == latent { out[r] = value[e] }
        }
        return out
    }
}
