/// Text split into its numbers and the words around them, so two renderings
/// of the same result compare word for word exactly and number by number
/// within tolerance: "accuracy 0.9271 (n = 192)" against "accuracy 0.9272
/// (n = 192)".
package struct NumericText: Equatable {
    package enum Piece: Equatable {
        case words(String)
        /// The value and how many decimals the text printed.
        case number(Double, decimals: Int, text: String)
    }

    package let pieces: [Piece]

    package init(_ text: String) {
        var pieces: [Piece] = []
        var words = ""
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            if let (end, decimals) = Self.number(in: scalars, at: i) {
                let literal = String(String.UnicodeScalarView(scalars[i..<end]))
                if let value = Double(literal) {
                    if !words.isEmpty { pieces.append(.words(words)); words = "" }
                    pieces.append(.number(value, decimals: decimals, text: literal))
                    i = end
                    continue
                }
            }
            words.unicodeScalars.append(scalars[i])
            i += 1
        }
        if !words.isEmpty { pieces.append(.words(words)) }
        self.pieces = pieces
    }

    /// A decimal number starting at `i`: digits, an optional fraction and
    /// exponent, with a minus sign only where it cannot be a hyphen
    /// ("ViT-B-32" keeps its digits as words of the name).
    static func number(in s: [Unicode.Scalar], at start: Int) -> (end: Int, decimals: Int)? {
        func digit(_ k: Int) -> Bool { k < s.count && s[k].isASCII && s[k].properties.numericType == .decimal }
        func word(_ k: Int) -> Bool {
            k >= 0 && (s[k].properties.isAlphabetic || s[k] == "_" || (s[k].isASCII && s[k].properties.numericType == .decimal))
        }
        // After a letter, a digit or "_", digits and a minus belong to a
        // name or a range, and so do digits after such a hyphen:
        // "ViT-B-32", "B32", "2-3".
        if word(start - 1) || (start >= 1 && s[start - 1] == "-" && word(start - 2)) { return nil }
        var i = start
        if s[i] == "-" { i += 1 }
        guard digit(i) else { return nil }
        while digit(i) { i += 1 }
        var decimals = 0
        if i + 1 < s.count, s[i] == ".", digit(i + 1) {
            i += 1
            while digit(i) { i += 1; decimals += 1 }
        }
        if i + 1 < s.count, s[i] == "e" || s[i] == "E" {
            var j = i + 1
            if j < s.count, s[j] == "-" || s[j] == "+" { j += 1 }
            if digit(j) {
                while digit(j) { j += 1 }
                i = j
            }
        }
        return (i, decimals)
    }

    /// Where two texts first differ beyond tolerance, as (stored, fresh)
    /// excerpts, or nil when they agree. `measure` counts the numbers that
    /// moved within tolerance and keeps the largest relative move.
    package func difference(from other: NumericText, tolerances: Tolerances, measure: inout DriftMeasure) -> (String, String)? {
        guard pieces.count == other.pieces.count else {
            return firstDiffering(other) ?? ("\(pieces.count) parts", "\(other.pieces.count) parts")
        }
        for (a, b) in zip(pieces, other.pieces) {
            switch (a, b) {
            case (.words(let x), .words(let y)) where x == y:
                continue
            case (.number(let x, let dx, let tx), .number(let y, let dy, let ty)):
                if tolerances.agree(x, y, printedDecimals: min(dx, dy)) {
                    measure.moved(x, y)
                    continue
                }
                return (tx, ty)
            default:
                return Self.excerpt(a, b)
            }
        }
        return nil
    }

    private func firstDiffering(_ other: NumericText) -> (String, String)? {
        for (a, b) in zip(pieces, other.pieces) where a != b {
            if case .number = a, case .number = b { continue }
            return Self.excerpt(a, b)
        }
        return nil
    }

    static func excerpt(_ a: Piece, _ b: Piece) -> (String, String) {
        func text(_ p: Piece) -> String {
            switch p {
            case .words(let w): return w.count > 80 ? String(w.prefix(80)) + "…" : w
            case .number(_, _, let t): return t
            }
        }
        return (text(a), text(b))
    }
}

/// |a - b| / max(|a|, |b|), 0 when both are 0.
package func relativeDifference(_ a: Double, _ b: Double) -> Double {
    let scale = max(abs(a), abs(b))
    return scale == 0 ? 0 : abs(a - b) / scale
}
