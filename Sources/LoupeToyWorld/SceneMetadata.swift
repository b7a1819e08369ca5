import LoupeJSON

/// Scene attributes as metadata rows: JSON objects for scenes.jsonl and
/// CSV lines for scenes.csv, with the same columns.
package enum SceneMetadata {
    package static let columns = ["index", "file", "caption"] + SceneVocabulary.attributes

    /// One JSON object per scene; absent word or second object is null.
    package static func json(_ a: SceneAttributes, file: String? = nil) -> JSON {
        var o: [String: JSON] = [
            "index": .int(a.index),
            "caption": .string(a.caption),
            "shape": .string(a.shape.rawValue),
            "colour": .string(a.colour.rawValue),
            "size": .string(a.size.rawValue),
            "position": .string(a.position.rawValue),
            "background": .string(a.background.rawValue),
            "habitat": .string(a.habitat.rawValue),
            "group": .string(a.shapeGroup.rawValue),
            "word": a.word.map(JSON.string) ?? .null,
            "second_shape": a.second.map { .string($0.shape.rawValue) } ?? .null,
            "second_colour": a.second.map { .string($0.colour.rawValue) } ?? .null,
            "second_size": a.second.map { .string($0.size.rawValue) } ?? .null,
            "second_position": a.second.map { .string($0.position.rawValue) } ?? .null,
        ]
        if let file { o["file"] = .string(file) }
        return .object(o)
    }

    package static var csvHeader: String { columns.joined(separator: ",") }

    /// A CSV line in `columns` order; empty fields for absent values.
    package static func csvLine(_ a: SceneAttributes, file: String) -> String {
        let j = json(a, file: file)
        return columns.map { key -> String in
            switch j[key] {
            case .string(let s)?: return quote(s)
            case .int(let i)?: return String(i)
            default: return ""
            }
        }.joined(separator: ",")
    }

    /// RFC 4180 quoting: only fields with commas, quotes or line breaks are quoted.
    static func quote(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
