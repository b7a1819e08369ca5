import LoupeJSON

/// A `cfg.json` field that is missing or holds the wrong kind of value.
package enum ConfigFieldError: Error, CustomStringConvertible, Sendable, Equatable {
    case missing(key: String)
    case notAPositiveInteger(key: String, got: JSON)
    case notANumber(key: String, got: JSON)
    case notAListOfIntegers(key: String, got: JSON)

    package var description: String {
        switch self {
        case .missing(let key):
            return "cfg.json has no \"\(key)\" field, which this architecture needs"
        case .notAPositiveInteger(let key, let got):
            return "cfg.json field \"\(key)\" must be a positive integer, got \(got.serialized())"
        case .notANumber(let key, let got):
            return "cfg.json field \"\(key)\" must be a number, got \(got.serialized())"
        case .notAListOfIntegers(let key, let got):
            return "cfg.json field \"\(key)\" must be a list of whole numbers, got \(got.serialized())"
        }
    }
}

/// Reads the fields architectures keep in `cfg.json`; a field that is
/// present but malformed is an error, never quietly replaced by its default.
enum ConfigFields {
    /// A positive integer; `value` stands in when the field is absent or null.
    static func positiveInt(_ cfg: JSON, _ key: String, default value: Int? = nil) throws -> Int {
        if let v = cfg[key], !v.isNull {
            guard let i = v.intValue, i > 0 else { throw ConfigFieldError.notAPositiveInteger(key: key, got: v) }
            return i
        }
        if let value { return value }
        throw ConfigFieldError.missing(key: key)
    }

    static func number(_ cfg: JSON, _ key: String, default value: Double) throws -> Double {
        guard let v = cfg[key], !v.isNull else { return value }
        guard let d = v.doubleValue else { throw ConfigFieldError.notANumber(key: key, got: v) }
        return d
    }

    /// A number, or nil when the field is absent or null.
    static func optionalNumber(_ cfg: JSON, _ key: String) throws -> Double? {
        guard let v = cfg[key], !v.isNull else { return nil }
        guard let d = v.doubleValue else { throw ConfigFieldError.notANumber(key: key, got: v) }
        return d
    }

    /// A list of whole numbers, or nil when the field is absent or null.
    static func integers(_ cfg: JSON, _ key: String) throws -> [Int]? {
        guard let v = cfg[key], !v.isNull else { return nil }
        guard let items = v.arrayValue else { throw ConfigFieldError.notAListOfIntegers(key: key, got: v) }
        return try items.map { item in
            guard let i = item.intValue else { throw ConfigFieldError.notAListOfIntegers(key: key, got: v) }
            return i
        }
    }
}
