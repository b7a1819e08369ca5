/// The attribute names and values scenes can be asked about, and lookups
/// that explain themselves when a value is not one of them.
package enum SceneVocabulary {
    /// Attribute names, in the order metadata columns are written.
    package static let attributes = ["shape", "colour", "size", "position", "background", "habitat", "group", "word",
                                    "second_shape", "second_colour", "second_size", "second_position"]

    /// Other spellings accepted for attribute names.
    static let aliases = ["color": "colour", "shape_group": "group", "second_color": "second_colour"]

    /// Valid values of each attribute ("word" takes any text; "none" means no word).
    package static func values(of attribute: String) -> [String]? {
        switch canonical(attribute) {
        case "shape", "second_shape": return Shape.allCases.map(\.rawValue)
        case "colour", "second_colour": return ObjectColour.allCases.map(\.rawValue)
        case "size", "second_size": return ObjectSize.allCases.map(\.rawValue)
        case "position", "second_position": return Position.allCases.map(\.rawValue)
        case "background": return Background.allCases.map(\.rawValue)
        case "habitat": return Habitat.allCases.map(\.rawValue)
        case "group": return ShapeGroup.allCases.map(\.rawValue)
        case "word": return nil
        default: return nil
        }
    }

    /// Words drawn on scenes by default: everyday nouns plus shape and
    /// colour names, so typographic attacks have words that name classes.
    package static let words = ["cat", "dog", "car", "tree", "house", "fish", "bird", "apple", "boat", "sun",
                               "book", "key", "moon", "cup", "star", "heart", "circle", "square", "red", "blue", "green"]

    static func canonical(_ attribute: String) -> String {
        let a = attribute.lowercased()
        return aliases[a] ?? a
    }
}

package struct SceneAttributeError: Error, CustomStringConvertible, Sendable {
    package let message: String
    package var description: String { message }
}

extension SceneAttributes {
    /// The value of an attribute as text ("" when a scene has no second
    /// object, "none" when it has no word). Throws for unknown attribute names.
    package func value(of attribute: String) throws -> String {
        switch SceneVocabulary.canonical(attribute) {
        case "shape": return shape.rawValue
        case "colour": return colour.rawValue
        case "size": return size.rawValue
        case "position": return position.rawValue
        case "background": return background.rawValue
        case "habitat": return habitat.rawValue
        case "group": return shapeGroup.rawValue
        case "word": return word ?? "none"
        case "second_shape": return second?.shape.rawValue ?? ""
        case "second_colour": return second?.colour.rawValue ?? ""
        case "second_size": return second?.size.rawValue ?? ""
        case "second_position": return second?.position.rawValue ?? ""
        default:
            throw SceneAttributeError(message: "'\(attribute)' is not a scene attribute; attributes are "
                + SceneVocabulary.attributes.joined(separator: ", "))
        }
    }

    /// Whether the scene has `value` for `attribute`. A habitat name given
    /// as a background ("land") matches the whole habitat; otherwise an
    /// unknown value throws, listing the valid ones.
    package func matches(_ attribute: String, _ value: String) throws -> Bool {
        let name = SceneVocabulary.canonical(attribute)
        let v = value.lowercased()
        if name == "word" {
            return v == "any" ? word != nil : (word?.lowercased() ?? "none") == v
        }
        guard let valid = SceneVocabulary.values(of: name) else { _ = try self.value(of: name); return false }
        if name == "background", !valid.contains(v), let h = Habitat(rawValue: v) { return habitat == h }
        guard valid.contains(v) else {
            var message = "'\(value)' is not a \(name.replacingOccurrences(of: "_", with: " ")); "
                + "\(Self.plural(name)) are \(valid.joined(separator: ", "))"
            if name == "background" { message += " (or a habitat: \(Habitat.allCases.map(\.rawValue).joined(separator: ", ")))" }
            throw SceneAttributeError(message: message)
        }
        return try self.value(of: name) == v
    }

    static func plural(_ name: String) -> String {
        switch name {
        case "group": return "shape groups"
        case "colour", "second_colour": return "colours"
        default: return name.replacingOccurrences(of: "_", with: " ") + "s"
        }
    }
}
