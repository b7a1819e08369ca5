/// How a notebook asks for an architecture: `kind: .topK(k: 32)`. The
/// language builds its `kind:` choices, their docs and their completions
/// from these, so each architecture is described once, in its own file.
package struct ArchitectureKind: Sendable {
    /// The case name after the dot: "topK".
    package let name: String
    /// Its argument labels, in the order the docs list them.
    package let labels: [String]
    /// One line for completion and hover.
    package let doc: String
    /// What completion inserts after the dot: "topK(k: 32)".
    package let example: String

    package init(_ name: String, labels: [String], doc: String, example: String) {
        self.name = name; self.labels = labels; self.doc = doc; self.example = example
    }
}

/// One argument of a `kind:` case, as the language hands it over.
package indirect enum ArchitectureArgument: Sendable {
    case integer(Int)
    case real(Double)
    case list([ArchitectureArgument])
    /// Any other value, by its type name for the message.
    case other(typeName: String)
}

/// The labelled arguments of one `kind:` case, read with messages that show
/// the fix. A label the kind does not take is refused when they are made.
package struct ArchitectureArguments: Sendable {
    package let kind: ArchitectureKind
    private let values: [String: ArchitectureArgument]

    /// The first of repeated labels counts, as it always has.
    package init(kind: ArchitectureKind, _ labelled: [(label: String, value: ArchitectureArgument)]) throws {
        var values: [String: ArchitectureArgument] = [:]
        for (label, value) in labelled {
            guard kind.labels.contains(label) else { throw ArchitectureArgumentError.unknownLabel(kind: kind, label: label) }
            if values[label] == nil { values[label] = value }
        }
        self.kind = kind
        self.values = values
    }

    /// A number; `value` stands in when the label is absent.
    package func number(_ label: String, default value: Double? = nil) throws -> Double {
        switch values[label] {
        case .integer(let i)?: return Double(i)
        case .real(let d)?: return d
        case let other?: throw ArchitectureArgumentError.notANumber(kind: kind.name, label: label, got: other.typeName)
        case nil:
            if let value { return value }
            throw ArchitectureArgumentError.missing(kind: kind.name, label: label, meaning: nil, example: "\(kind.name)(\(label): 32)")
        }
    }

    /// A count such as k: a number, its fraction dropped.
    package func count(_ label: String) throws -> Int {
        let x = try number(label)
        guard x.isFinite, abs(x) < 1e15 else { throw ArchitectureArgumentError.outOfRange(kind: kind.name, label: label, got: x) }
        return Int(x)
    }

    /// A list of whole numbers; `meaning` says what it is when it is missing.
    package func wholeNumbers(_ label: String, meaning: String) throws -> [Int] {
        guard case .list(let items)? = values[label] else {
            throw ArchitectureArgumentError.missing(kind: kind.name, label: label, meaning: meaning, example: kind.example)
        }
        return try items.map { item in
            guard case .integer(let i) = item else { throw ArchitectureArgumentError.notWholeNumbers(kind: kind.name, label: label) }
            return i
        }
    }
}

/// A `kind:` case whose arguments do not make an architecture.
package enum ArchitectureArgumentError: Error, CustomStringConvertible, Sendable {
    case unknownLabel(kind: ArchitectureKind, label: String)
    case missing(kind: String, label: String, meaning: String?, example: String)
    case notANumber(kind: String, label: String, got: String)
    case outOfRange(kind: String, label: String, got: Double)
    case notWholeNumbers(kind: String, label: String)

    package var description: String {
        switch self {
        case .unknownLabel(let kind, let label):
            let takes = kind.labels.isEmpty ? "no arguments" : kind.labels.map { "'\($0):'" }.joined(separator: ", ")
            return "'\(label):' is not an argument of .\(kind.name), which takes \(takes)"
        case .missing(let kind, let label, let meaning, let example):
            return ".\(kind) needs '\(label):'" + (meaning.map { ", \($0)" } ?? "") + ", e.g. .\(example)"
        case .notANumber(let kind, let label, let got):
            return "'\(label):' of .\(kind) must be a number, got \(got)"
        case .outOfRange(let kind, let label, let got):
            return "'\(label):' of .\(kind) must be a whole number of a sensible size, got \(got)"
        case .notWholeNumbers(let kind, let label):
            return "'\(label):' of .\(kind) takes whole numbers"
        }
    }
}

extension ArchitectureArgument {
    var typeName: String {
        switch self {
        case .integer: return "Int"
        case .real: return "Double"
        case .list: return "Array"
        case .other(let name): return name
        }
    }
}
