/// Formats an error as the lines of a Jupyter traceback: the message, the
/// source line, and a caret under the fault.
public enum Diagnostics {
    public static func traceback(_ error: LoupeError, source: SourceText, color: Bool = true) -> [String] {
        let red = color ? "\u{1B}[0;31m" : "", bold = color ? "\u{1B}[1m" : "", reset = color ? "\u{1B}[0m" : ""
        var lines = ["\(red)\(bold)\(error.kind.rawValue)\(reset): \(error.message)"]
        guard let span = error.span, !source.scalars.isEmpty else { return lines }
        let (line, fullColumn) = source.location(of: span.start)
        var text = source.line(line)
        let end = source.location(of: span.end)
        var column = fullColumn
        var width = end.line == line ? max(1, end.column - column) : max(1, text.unicodeScalars.count - column)
        // Very long lines are cut to a window around the fault.
        let window = 160
        if text.unicodeScalars.count > window {
            let scalars = Array(text.unicodeScalars)
            let from = max(0, min(column - 20, scalars.count - window))
            var cut = String.UnicodeScalarView()
            cut.append(contentsOf: scalars[from..<min(scalars.count, from + window)])
            text = (from > 0 ? "…" : "") + String(cut) + (from + window < scalars.count ? "…" : "")
            column = column - from + (from > 0 ? 1 : 0)
            width = min(width, window - (column - (from > 0 ? 1 : 0)))
        }
        let gutter = String(line)
        let pad = String(repeating: " ", count: gutter.count)
        lines.append("\(pad) |")
        lines.append("\(gutter) | \(text)")
        lines.append("\(pad) | " + String(repeating: " ", count: column) + "\(red)" + String(repeating: "^", count: width) + "\(reset)")
        return lines
    }
}
