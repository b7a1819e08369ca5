import LoupeJSON

/// Every architecture Loupe trains and reads, as SAELens maps `cfg.json`'s
/// `architecture` name to a class. Files find an architecture by that name,
/// notebooks by its `kind:` case; nothing else names the concrete types.
package enum SAEArchitectures {
    /// Adding an architecture is one file and one entry here.
    package static let all: [any SAEArchitecture.Type] = [
        ReLUArchitecture.self,
        TopKArchitecture.self,
        BatchTopKArchitecture.self,
        JumpReLUArchitecture.self,
        MatryoshkaBatchTopKArchitecture.self,
    ]

    /// Architectures Loupe reads and runs from files but does not train, so
    /// they have no `kind:` case.
    package static let loadedOnly: [any SAEArchitecture.Type] = [
        AbsTopKArchitecture.self,
    ]

    /// The `cfg.json` names Loupe reads, aliases left out.
    package static var names: [String] { (all + loadedOnly).map { $0.architectureName } }

    /// The architecture a `cfg.json` name or alias stands for, in any letter case.
    package static func named(_ name: String) throws -> any SAEArchitecture.Type {
        let key = name.lowercased()
        if let t = (all + loadedOnly).first(where: { $0.architectureName == key || $0.aliases.contains(key) }) { return t }
        throw ArchitectureLookupError.unknownName(name, known: names)
    }

    /// Builds an architecture from a `cfg.json` object.
    package static func fromConfig(_ cfg: JSON) throws -> any SAEArchitecture {
        guard let field = cfg["architecture"] else { throw ArchitectureLookupError.noArchitectureField(known: names) }
        guard let name = field.stringValue else { throw ArchitectureLookupError.unknownName(field.serialized(), known: names) }
        return try named(name).fromConfig(cfg)
    }

    /// The `kind:` cases notebooks write, in the registry's order.
    package static var kinds: [ArchitectureKind] { all.map { $0.kind } }

    /// Builds the architecture of a `kind:` case from its labelled arguments.
    package static func fromKind(_ name: String, _ labelled: [(label: String, value: ArchitectureArgument)]) throws -> any SAEArchitecture {
        guard let type = all.first(where: { $0.kind.name == name }) else {
            throw ArchitectureLookupError.unknownKind(name, known: kinds.map(\.name))
        }
        return try type.fromArguments(ArchitectureArguments(kind: type.kind, labelled))
    }
}

/// A name that no registered architecture answers to.
package enum ArchitectureLookupError: Error, CustomStringConvertible, Sendable, Equatable {
    /// `cfg.json`'s `architecture` names no architecture Loupe has.
    case unknownName(String, known: [String])
    /// `cfg.json` has no `architecture` field at all.
    case noArchitectureField(known: [String])
    /// A `kind:` case that no architecture is spelled as.
    case unknownKind(String, known: [String])

    package var description: String {
        switch self {
        case .unknownName(let name, let known):
            return "unknown SAE architecture '\(name)'; Loupe reads: \(known.joined(separator: ", "))"
        case .noArchitectureField(let known):
            return "cfg.json has no \"architecture\" field; add one of: \(known.joined(separator: ", "))"
        case .unknownKind(let name, let known):
            return "'.\(name)' is not an SAE kind; kinds are \(known.map { "." + $0 }.joined(separator: ", "))"
        }
    }
}
