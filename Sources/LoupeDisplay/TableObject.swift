import Foundation
import LoupeJSON
import LoupeLanguage

/// A table: text for the terminal, HTML for notebooks (with bars for a
/// column of fractions), a JSON object under a vendor type for programs, CSV
/// on request.
public final class TableObject: HostObject {
    public let title: String?
    public let columns: [String]
    public let rows: [[Value]]
    /// A column of values in [0, 1] drawn as bars in HTML (probabilities).
    public let barColumn: Int?
    /// Lines under the table: what its numbers do and do not show (which
    /// differences are resolved, what was chosen on which images).
    public let notes: String?
    public var typeName: String { "Table" }

    public init(title: String? = nil, columns: [String], rows: [[Value]], barColumn: Int? = nil, notes: String? = nil) {
        self.title = title
        self.columns = columns
        self.rows = rows
        self.barColumn = barColumn
        self.notes = notes.flatMap { $0.isEmpty ? nil : $0 }
    }

    package static func cell(_ v: Value) -> String {
        if case .double(let d) = v {
            // An undefined figure (a precision with nothing predicted, 0/0) reads as such, not as "nan".
            guard d.isFinite else { return d.isNaN ? "n/a" : (d > 0 ? "∞" : "−∞") }
            return String(format: abs(d) >= 1e4 || (abs(d) < 1e-3 && d != 0) ? "%.3g" : "%.4f", d)
        }
        return v.printed
    }

    public var plainText: String {
        let body = rows.map { $0.map(TableObject.cell) }
        let widths = columns.indices.map { c in ([columns[c]] + body.map { $0[c] }).map(\.count).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        var lines = title.map { [$0] } ?? []
        lines.append(line(columns))
        lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        lines += body.map(line)
        if let notes { lines.append(notes) }
        return lines.joined(separator: "\n")
    }

    public var html: String {
        var s = "<table class=\"loupe-table\">"
        if let title { s += "<caption style=\"text-align: left; font-weight: bold; white-space: normal\">\(escapeHTML(title))</caption>" }
        s += "<thead><tr>" + columns.map { "<th>\(escapeHTML($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows {
            s += "<tr>"
            for (c, v) in row.enumerated() {
                if c == barColumn, let f = v.asDouble {
                    let pct = max(0, min(100, f * 100))
                    s += "<td style=\"min-width: 12em\"><div style=\"display: flex; align-items: center; gap: 0.5em\">"
                        + "<div style=\"background: #3b7dd8; height: 0.9em; width: \(String(format: "%.1f", pct * 0.8))%\"></div>"
                        + "<span>\(String(format: "%.1f%%", pct))</span></div></td>"
                } else {
                    s += "<td>\(escapeHTML(TableObject.cell(v)))</td>"
                }
            }
            s += "</tr>"
        }
        s += "</tbody></table>"
        if let notes {
            s += "<div class=\"loupe-notes\" style=\"margin-top: 0.4em\">"
                + notes.split(separator: "\n").map { "<div>\(escapeHTML(String($0)))</div>" }.joined() + "</div>"
        }
        return s
    }

    public var json: JSON {
        var o: [String: JSON] = ["columns": .array(columns.map(JSON.string)),
                                 "rows": .array(rows.map { .array($0.map { $0.json ?? .string($0.printed) }) })]
        if let title { o["title"] = .string(title) }
        if let notes { o["notes"] = .string(notes) }
        return .object(o)
    }

    public func csv() -> String {
        func quote(_ s: String) -> String {
            s.contains(where: { ",\"\n".contains($0) }) ? "\"" + s.replacingOccurrences("\"", "\"\"") + "\"" : s
        }
        return ([columns.map(quote).joined(separator: ",")]
                + rows.map { $0.map { quote($0.printed) }.joined(separator: ",") }).joined(separator: "\n") + "\n"
    }

    public func display() -> DisplayBundle {
        DisplayBundle(text: plainText, data: ["text/html": .string(html), LoupeMIME.table: json])
    }
}

extension DisplayBundle {
    /// An object's summary: a two-column table for people, its fields under
    /// the summary vendor type for programs.
    package static func summary(title: String, text: String, fields: [(String, Value)], json: JSON) -> DisplayBundle {
        var bundle = TableObject(title: title, columns: ["field", "value"], rows: fields.map { [.string($0.0), $0.1] }).display()
        bundle.data["text/plain"] = .string(text)
        bundle.data[LoupeMIME.table] = nil
        bundle.data[LoupeMIME.summary] = json
        return bundle
    }
}
