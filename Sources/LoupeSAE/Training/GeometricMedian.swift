/// The geometric median of rows (the point minimising the sum of Euclidean
/// distances), by Weiszfeld's iteration from the mean. It is where b_dec
/// starts: a robust centre that outlier tokens cannot drag far.
package func geometricMedian(_ rows: [Float], width: Int, maxIterations: Int = 100, tolerance: Double = 1e-5) -> [Float] {
    let n = rows.count / width
    guard n > 0 else { return [Float](repeating: 0, count: width) }
    var y = columnMean(rows, width: width).map { Double($0) }
    for _ in 0..<maxIterations {
        var num = [Double](repeating: 0, count: width)
        var den = 0.0
        for r in 0..<n {
            var dist = 0.0
            for t in 0..<width { let v = Double(rows[r * width + t]) - y[t]; dist += v * v }
            // A row sitting on the estimate gets a capped weight instead of a division by zero.
            let w = 1 / max(dist.squareRoot(), 1e-8)
            den += w
            for t in 0..<width { num[t] += w * Double(rows[r * width + t]) }
        }
        var moved = 0.0, size = 0.0
        for t in 0..<width {
            let next = num[t] / den
            moved += (next - y[t]) * (next - y[t]); size += next * next
            y[t] = next
        }
        if moved.squareRoot() <= tolerance * max(size.squareRoot(), 1) { break }
    }
    return y.map { Float($0) }
}

/// Mean of the rows, accumulated in double.
package func columnMean(_ rows: [Float], width: Int) -> [Float] {
    let n = rows.count / width
    guard n > 0 else { return [Float](repeating: 0, count: width) }
    var s = [Double](repeating: 0, count: width)
    for r in 0..<n { for t in 0..<width { s[t] += Double(rows[r * width + t]) } }
    return s.map { Float($0 / Double(n)) }
}
