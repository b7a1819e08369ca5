/// Selection kernels that turn a dense [rows, width] pre-activation matrix
/// into sparse codes. They keep only positive values (every architecture
/// ends in a ReLU), so the codes hold exactly the latents that fire. (AuxK's
/// selection, which keeps values of any sign, is in AuxK.swift.)
enum Selection {
    /// Per row, the k largest positive values (TopK). A k-slot min-heap
    /// means most of the row costs one comparison per value.
    static func topK(_ pre: UnsafePointer<Float>, rows: Int, width: Int, k: Int, above floor: Float = 0) -> SparseCodes {
        let k = min(k, width)
        var counts = [Int](repeating: 0, count: rows)
        var idx = [Int32](repeating: 0, count: rows * k)
        var val = [Float](repeating: 0, count: rows * k)
        counts.withUnsafeMutableBufferPointer { counts in
            idx.withUnsafeMutableBufferPointer { idx in
                val.withUnsafeMutableBufferPointer { val in
                    let counts = counts.baseAddress!, idx = idx.baseAddress!, val = val.baseAddress!
                    parallelRows(rows, grain: 8) { range in
                        for r in range {
                            let n = topKRow(pre + r * width, width: width, k: k, idx: idx + r * k, val: val + r * k, above: floor)
                            counts[r] = n
                        }
                    }
                }
            }
        }
        return compact(rows: rows, width: width, stride: k, counts: counts, idx: idx, val: val)
    }

    /// Writes up to k (index, value) pairs of the largest values of a row
    /// that are above `floor` (positive ones unless told otherwise),
    /// returning how many were found. Output order is unspecified.
    @inline(__always)
    static func topKRow(_ row: UnsafePointer<Float>, width: Int, k: Int,
                        idx: UnsafeMutablePointer<Int32>, val: UnsafeMutablePointer<Float>, above floor: Float = 0) -> Int {
        guard k > 0 else { return 0 }
        // Min-heap on val[0..<n]; the root is the smallest kept value. One
        // comparison against `cut` (the floor until the heap is full, then its
        // root) decides each value, a branch that is almost never taken once
        // the heap has warmed up, so the scan runs at memory speed.
        var n = 0
        var cut: Float = floor
        for j in 0..<width {
            let v = row[j]
            guard v > cut else { continue }
            if n < k {
                var c = n; n += 1
                while c > 0 {
                    let p = (c - 1) >> 1
                    if val[p] <= v { break }
                    val[c] = val[p]; idx[c] = idx[p]; c = p
                }
                val[c] = v; idx[c] = Int32(j)
                if n == k { cut = val[0] }
            } else {
                var c = 0
                while true {
                    let l = 2 * c + 1
                    if l >= k { break }
                    var m = l
                    if l + 1 < k && val[l + 1] < val[l] { m = l + 1 }
                    if val[m] >= v { break }
                    val[c] = val[m]; idx[c] = idx[m]; c = m
                }
                val[c] = v; idx[c] = Int32(j)
                cut = val[0]
            }
        }
        return n
    }

    /// Every positive value (ReLU).
    static func positive(_ pre: UnsafePointer<Float>, rows: Int, width: Int) -> SparseCodes {
        threshold(pre, rows: rows, width: width) { _ in 0 }
    }

    /// Values above a per-latent threshold (JumpReLU).
    static func aboveThreshold(_ pre: UnsafePointer<Float>, rows: Int, width: Int, threshold theta: UnsafePointer<Float>) -> SparseCodes {
        threshold(pre, rows: rows, width: width) { theta[$0] }
    }

    private static func threshold(_ pre: UnsafePointer<Float>, rows: Int, width: Int, _ t: (Int) -> Float) -> SparseCodes {
        var perRowIdx = [[Int32]](repeating: [], count: rows)
        var perRowVal = [[Float]](repeating: [], count: rows)
        perRowIdx.withUnsafeMutableBufferPointer { pi in
            perRowVal.withUnsafeMutableBufferPointer { pv in
                let pi = pi.baseAddress!, pv = pv.baseAddress!
                parallelRows(rows, grain: 4) { range in
                    for r in range {
                        let row = pre + r * width
                        var i: [Int32] = [], v: [Float] = []
                        for j in 0..<width where row[j] > t(j) && row[j] > 0 { i.append(Int32(j)); v.append(row[j]) }
                        pi[r] = i; pv[r] = v
                    }
                }
            }
        }
        var start = [0]; start.reserveCapacity(rows + 1)
        var idx: [Int32] = [], val: [Float] = []
        for r in 0..<rows { idx += perRowIdx[r]; val += perRowVal[r]; start.append(idx.count) }
        return SparseCodes(rows: rows, width: width, rowStart: start, index: idx, value: val)
    }

    /// The `total` largest positive values of the whole matrix (BatchTopK).
    /// Exact: a histogram over the top 16 bits of the float pattern (which
    /// orders positive floats) finds the bucket holding the cut, a second
    /// pass finds the exact cut value, and ties at the cut are taken in row
    /// order so the result never depends on thread timing.
    static func batchTopK(_ pre: UnsafePointer<Float>, rows: Int, width: Int, total: Int) -> SparseCodes {
        let chunks = partition(rows)
        var histograms = [[Int]](repeating: [], count: chunks.count)
        histograms.withUnsafeMutableBufferPointer { hs in
            let hs = hs.baseAddress!
            forEachChunk(chunks) { c, range in
                var h = [Int](repeating: 0, count: 65536)
                for r in range {
                    let row = UnsafeRawPointer(pre + r * width).assumingMemoryBound(to: UInt32.self)
                    // Every value is counted (no data-dependent branch); negative
                    // values land in buckets ≥ 0x8000 and are ignored below.
                    for j in 0..<width { h[Int(row[j] >> 16)] += 1 }
                }
                hs[c] = h
            }
        }
        var histogram = [Int](repeating: 0, count: 65536)
        for h in histograms { for b in 0..<65536 { histogram[b] += h[b] } }
        // Buckets 1..<0x8000 hold the positive floats from 2^-126 up; bucket 0
        // (zero and denormals) never counts as firing here.
        for b in 0x8000..<65536 { histogram[b] = 0 }
        histogram[0] = 0
        let positives = histogram.reduce(0, +)
        if positives <= total { return positive(pre, rows: rows, width: width) }

        // Bucket holding the total-th largest value.
        var above = 0, bucket = 65535
        while above + histogram[bucket] < total { above += histogram[bucket]; bucket -= 1 }
        var inBucket: [UInt32] = []
        inBucket.reserveCapacity(histogram[bucket])
        for r in 0..<rows {
            let row = UnsafeRawPointer(pre + r * width).assumingMemoryBound(to: UInt32.self)
            for j in 0..<width where row[j] >> 16 == UInt32(bucket) { inBucket.append(row[j]) }
        }
        inBucket.sort(by: >)
        let cut = inBucket[total - above - 1]
        let strictlyAbove = above + inBucket.prefix(while: { $0 > cut }).count
        var tiesLeft = total - strictlyAbove

        var perRow = [[(Int32, Float)]](repeating: [], count: rows)
        let signedCut = Int32(bitPattern: cut)
        for r in 0..<rows {
            let row = UnsafeRawPointer(pre + r * width).assumingMemoryBound(to: Int32.self)
            var list: [(Int32, Float)] = []
            for j in 0..<width {
                // As signed integers, negative floats fall below any positive cut: one rare branch.
                guard row[j] >= signedCut else { continue }
                let bits = UInt32(bitPattern: row[j])
                if bits == cut {
                    guard tiesLeft > 0 else { continue }
                    tiesLeft -= 1
                }
                list.append((Int32(j), Float(bitPattern: bits)))
            }
            perRow[r] = list
        }
        return SparseCodes(rows: rows, width: width, perRow: perRow)
    }

    /// Packs fixed-stride per-row results into compressed rows, sorted by latent.
    static func compact(rows: Int, width: Int, stride: Int, counts: [Int], idx: [Int32], val: [Float]) -> SparseCodes {
        var start = [Int](repeating: 0, count: rows + 1)
        for r in 0..<rows { start[r + 1] = start[r] + counts[r] }
        var outIdx = [Int32](repeating: 0, count: start[rows])
        var outVal = [Float](repeating: 0, count: start[rows])
        for r in 0..<rows {
            let pairs = (0..<counts[r]).map { (idx[r * stride + $0], val[r * stride + $0]) }.sorted { $0.0 < $1.0 }
            for (e, p) in pairs.enumerated() { outIdx[start[r] + e] = p.0; outVal[start[r] + e] = p.1 }
        }
        return SparseCodes(rows: rows, width: width, rowStart: start, index: outIdx, value: outVal)
    }
}
