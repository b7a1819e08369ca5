/// Edits used when an SAE is spliced into a forward pass: clamp a latent to
/// a value on every token (steering), or zero some latents (ablation).
/// Rows stay sorted by latent.
extension SparseCodes {
    /// The codes with `latent` set to `value` on every token (added where it
    /// did not fire; removed everywhere when `value` is 0).
    package func setting(latent: Int, to value: Float) -> SparseCodes {
        precondition(latent >= 0 && latent < width, "latent \(latent) is outside 0..<\(width)")
        var start = [0], idx: [Int32] = [], val: [Float] = []
        idx.reserveCapacity(index.count + rows); val.reserveCapacity(index.count + rows)
        for r in 0..<rows {
            var placed = value == 0
            for e in rowStart[r]..<rowStart[r + 1] {
                let j = Int(index[e])
                if !placed && j > latent { idx.append(Int32(latent)); val.append(value); placed = true }
                if j == latent { continue }
                idx.append(index[e]); val.append(self.value[e])
            }
            if !placed { idx.append(Int32(latent)); val.append(value) }
            start.append(idx.count)
        }
        return SparseCodes(rows: rows, width: width, rowStart: start, index: idx, value: val)
    }

    /// The codes with the given latents zeroed on every token.
    package func removing(latents: Set<Int>) -> SparseCodes {
        var start = [0], idx: [Int32] = [], val: [Float] = []
        for r in 0..<rows {
            for e in rowStart[r]..<rowStart[r + 1] where !latents.contains(Int(index[e])) {
                idx.append(index[e]); val.append(value[e])
            }
            start.append(idx.count)
        }
        return SparseCodes(rows: rows, width: width, rowStart: start, index: idx, value: val)
    }
}
