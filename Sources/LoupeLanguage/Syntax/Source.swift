/// A half-open range of Unicode scalar offsets into a cell's source. Scalar
/// offsets are what Jupyter's `cursor_pos` counts, so spans, completion and
/// inspection all share one unit.
public struct SourceSpan: Equatable, Sendable {
    public var start: Int
    public var end: Int
    public init(_ start: Int, _ end: Int) { self.start = start; self.end = max(start, end) }
    public func to(_ other: SourceSpan) -> SourceSpan { SourceSpan(start, other.end) }
}

/// The text of one cell, indexed by Unicode scalar.
public struct SourceText: Sendable {
    public let text: String
    public let scalars: [Unicode.Scalar]

    public init(_ text: String) {
        self.text = text
        self.scalars = Array(text.unicodeScalars)
    }

    /// 1-based line and 0-based column (in scalars) of an offset.
    public func location(of offset: Int) -> (line: Int, column: Int) {
        var line = 1, column = 0
        for i in 0..<min(offset, scalars.count) {
            if scalars[i] == "\n" { line += 1; column = 0 } else { column += 1 }
        }
        return (line, column)
    }

    /// The text of a 1-based line, without its newline.
    public func line(_ number: Int) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard number >= 1 && number <= lines.count else { return "" }
        return String(lines[number - 1])
    }

    public func slice(_ span: SourceSpan) -> String {
        let lo = max(0, min(span.start, scalars.count)), hi = max(lo, min(span.end, scalars.count))
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars[lo..<hi])
        return String(s)
    }
}
