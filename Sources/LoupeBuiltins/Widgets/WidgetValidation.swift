import Foundation
import LoupeJSON

/// What a front end may change in a widget model, and how a change is
/// checked before the kernel takes it. A front end is not trusted: a value
/// of the wrong type, outside [min, max], off the step or too large would
/// otherwise reach the observers (a clamp of 1e308, an index past the
/// options) or be echoed to every other view. Ranges are read from the
/// model's current state, so a range the kernel changes later is the one
/// checked.
package enum WritableValue: Sendable, Equatable {
    /// A slider's or bounded text box's `value`: a number within the state's
    /// `min`...`max`, on its `step` from `min`, and whole for `integer`.
    case number(integer: Bool)
    /// A selection's `index` into `_options_labels`; `nullable` when nothing
    /// may be selected (toggle buttons).
    case index(nullable: Bool)
}

extension WidgetModel {
    /// The largest update the kernel reads: a control's change is a few bytes.
    package static let maximumUpdateBytes = 64 * 1024

    /// Why `value` may not become `key`'s new value, or nil when it may.
    package func refusal(_ key: String, _ value: JSON) -> String? {
        guard let rule = writable[key] else { return "'\(key)' is not something a view may change" }
        switch rule {
        case .number(let integer):
            guard case let number? = value.numberValue, number.isFinite else { return "'\(key)' must be a finite number, got \(Self.brief(value))" }
            if integer && number != number.rounded() { return "'\(key)' must be a whole number, got \(Self.brief(value))" }
            let lo = state["min"]?.doubleValue ?? -.infinity, hi = state["max"]?.doubleValue ?? .infinity
            guard number >= lo, number <= hi else { return "'\(key)' must be within \(Self.brief(state["min"] ?? .null))...\(Self.brief(state["max"] ?? .null)), got \(Self.brief(value))" }
            if let step = state["step"]?.doubleValue, step > 0, lo.isFinite {
                let steps = (number - lo) / step
                guard abs(steps - steps.rounded()) <= 1e-6 * max(1, abs(steps)) else {
                    return "'\(key)' must be \(Self.brief(state["min"] ?? .null)) plus a whole number of steps of \(Self.brief(state["step"] ?? .null)), got \(Self.brief(value))"
                }
            }
        case .index(let nullable):
            if case .null = value, nullable { return nil }
            let count = state["_options_labels"]?.arrayValue?.count ?? 0
            guard case let number? = value.numberValue, number == number.rounded(), number >= 0, number < Double(count) else {
                return "'\(key)' must be an option's number, 0..<\(count)\(nullable ? " or null" : ""), got \(Self.brief(value))"
            }
        }
        return nil
    }

    /// A value as a refusal quotes it: never the whole of a huge string.
    static func brief(_ value: JSON) -> String {
        let text = value.serialized()
        return text.count > 40 ? String(text.prefix(40)) + "…" : text
    }
}

extension JSON {
    /// A JSON number as a Double (nil for anything else, strings like "NaN" included).
    var numberValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
}
