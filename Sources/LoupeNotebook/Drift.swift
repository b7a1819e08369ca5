/// One place where a fresh run's output is not the stored one.
package struct Drift: Equatable, CustomStringConvertible {
    /// The cell's position among all cells (from 0) and its id.
    package let cell: Int
    package let cellID: String?
    /// The cell's first line of code, to find it by eye.
    package let code: String
    /// The output's position in the cell (from 0), nil for the cell as a whole.
    package let output: Int?
    /// The MIME type or output type that differs.
    package let part: String
    package let detail: String

    package var description: String {
        var place = "cell \(cell)" + (cellID.map { " (id \($0))" } ?? "")
        if !code.isEmpty { place += " `\(code)`" }
        if let output { place += ", output \(output)" }
        return "\(place), \(part): \(detail)"
    }
}

/// The largest differences that stayed within tolerance: what a run under
/// other BLAS kernels moved, for choosing tolerances (docs/reproducibility.md).
package struct DriftMeasure: Equatable {
    /// Numbers that differ from the stored ones, within tolerance.
    package var numbers = 0
    package var largestRelative = 0.0
    package var pictures = 0
    package var largestPixelLevel = 0
    package var largestPixelShare = 0.0
    package var largestMeanLevel = 0.0

    package init() {}

    mutating func moved(_ a: Double, _ b: Double) {
        guard a != b else { return }
        numbers += 1
        largestRelative = max(largestRelative, relativeDifference(a, b))
    }
}
