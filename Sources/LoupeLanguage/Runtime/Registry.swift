/// One parameter of a builtin: its call-site label (nil for an unlabeled
/// argument), a name for documentation, a type for documentation and errors,
/// and a default when it may be left out.
public struct Parameter: Sendable {
    public let label: String?
    public let name: String
    public let type: String
    public let defaultValue: Value?
    public let variadic: Bool
    public let doc: String
    /// For an option (`tokens: .cls`): the cases it accepts. The evaluator
    /// checks arguments against them, and completion and inspection offer
    /// and document them, so the three never disagree.
    public let choices: [Choice]

    public init(_ label: String?, name: String? = nil, type: String, default defaultValue: Value? = nil,
                variadic: Bool = false, doc: String = "", choices: [Choice] = []) {
        self.label = label
        self.name = name ?? label ?? "value"
        self.choices = choices
        self.type = type
        self.defaultValue = defaultValue
        self.variadic = variadic
        self.doc = doc
    }

    /// `labels: [String]`, `_ image: Image`, `count: Int = 16`.
    public var signature: String {
        var s = label.map { $0 == name ? "\($0): \(type)" : "\($0) \(name): \(type)" } ?? "_ \(name): \(type)"
        if variadic { s += "..." }
        if let d = defaultValue { s += " = \(d.sourceText)" }
        return s
    }

    var isClosure: Bool { type.hasPrefix("Closure") }
}

/// A function the language provides: a global (`print`), a static member
/// (`CLIP.load`) or a method (`clip.classify`). The same record drives
/// evaluation, completion, inspection, `help` and the reference page.
public final class BuiltinFunction: @unchecked Sendable {
    public let name: String
    public let parameters: [Parameter]
    public let returns: String
    public let doc: String
    /// The owning type for methods and static members, for signatures.
    public internal(set) var owner: String?
    public internal(set) var isStatic = false
    /// A mutating method returns the receiver's new value, which the
    /// evaluator writes back (`xs.append(4)` on a `var`).
    public let isMutating: Bool
    let body: (inout CallContext) throws -> Value
    /// What completion offers inside a call that depends on its receiver:
    /// the labels it takes there (a dataset's own attributes) and the string
    /// values of one label. Nil: every parameter's label, and no values.
    public var completionLabels: ((_ receiver: Value) -> [String]?)?
    public var completionValues: ((_ receiver: Value, _ label: String) -> [String]?)?

    public init(_ name: String, _ parameters: [Parameter] = [], returns: String = "Void", doc: String,
                mutating: Bool = false, body: @escaping (inout CallContext) throws -> Value) {
        self.name = name
        self.isMutating = mutating
        self.parameters = parameters
        self.returns = returns
        self.doc = doc
        self.body = body
    }

    /// `classify(_ image: Image, labels: [String]) -> Table`
    public var signature: String {
        let prefix = owner.map { isStatic ? "\($0)." : "\(BuiltinFunction.instanceName(of: $0))." } ?? ""
        let params = parameters.map(\.signature).joined(separator: ", ")
        return "\(prefix)\(name)(\(params))" + (returns == "Void" ? "" : " -> \(returns)")
    }

    /// How a value of a type is written in examples: `clip` for CLIP, `sae`
    /// for SAE (acronyms in lower case whole), `dataset` for Dataset.
    static func instanceName(of type: String) -> String {
        type.allSatisfy(\.isUppercase) ? type.lowercased() : type.prefix(1).lowercased() + type.dropFirst()
    }

    /// The label list shown in errors: `classify(_:labels:)`.
    public var selector: String {
        name + "(" + parameters.map { ($0.label ?? "_") + ":" }.joined() + ")"
    }
}

/// One case of an option: `.spatial`, or `.topK(k:)` with its arguments.
public struct Choice: Sendable {
    public let name: String
    public let doc: String
    /// What completion inserts after the dot when the case takes arguments:
    /// `topK(k: 32)`.
    public let example: String?

    public init(_ name: String, _ doc: String, example: String? = nil) {
        self.name = name
        self.doc = doc
        self.example = example
    }
}

/// A read-only member computed from its receiver: `xs.count`, `clip.layers`.
public struct BuiltinProperty: @unchecked Sendable {
    public let name: String
    public let type: String
    public let doc: String
    let get: (Value) throws -> Value

    public init(_ name: String, type: String, doc: String, get: @escaping (Value) throws -> Value) {
        self.name = name
        self.type = type
        self.doc = doc
        self.get = get
    }
}

/// A type the language knows: its documentation, static members, methods and
/// properties.
public final class BuiltinType: @unchecked Sendable {
    public let name: String
    public let doc: String
    public private(set) var staticMembers: [String: BuiltinFunction] = [:]
    public private(set) var methods: [String: BuiltinFunction] = [:]
    public private(set) var properties: [String: BuiltinProperty] = [:]
    /// Whether the name is a value a cell can use (`CLIP`, `Dataset`) or only
    /// describes values (`Int`, `Array`).
    public let isGlobal: Bool
    /// False for a type only named so far (`Registry.type`), whose
    /// declaration (`Registry.add`) may come later.
    public private(set) var isDeclared: Bool
    /// Members added under a name already taken: refused, kept for the
    /// registry's check (`Registry.conflicts`).
    public private(set) var refused: [String] = []

    public init(_ name: String, doc: String, isGlobal: Bool = true) {
        self.name = name
        self.doc = doc
        self.isGlobal = isGlobal
        isDeclared = true
    }

    init(placeholder name: String) {
        self.name = name; doc = ""; isGlobal = false; isDeclared = false
    }

    public func addStatic(_ f: BuiltinFunction) {
        guard staticMembers[f.name] == nil else { refused.append("\(name).\(f.name)"); return }
        f.owner = name
        f.isStatic = true
        staticMembers[f.name] = f
    }

    public func addMethod(_ f: BuiltinFunction) {
        guard methods[f.name] == nil, properties[f.name] == nil else { refused.append("\(name).\(f.name)"); return }
        f.owner = name
        methods[f.name] = f
    }

    public func addProperty(_ p: BuiltinProperty) {
        guard properties[p.name] == nil, methods[p.name] == nil else { refused.append("\(name).\(p.name)"); return }
        properties[p.name] = p
    }

    /// Takes the members attached to a placeholder of this type.
    func absorb(_ other: BuiltinType) {
        for f in other.staticMembers.values { addStatic(f) }
        for f in other.methods.values { addMethod(f) }
        for p in other.properties.values { addProperty(p) }
        refused += other.refused
    }

    /// The same type without the named static members and methods.
    func copy(excluding names: Set<String>) -> BuiltinType {
        let t = BuiltinType(name, doc: doc, isGlobal: isGlobal)
        t.staticMembers = staticMembers.filter { !names.contains($0.key) }
        t.methods = methods.filter { !names.contains($0.key) }
        t.properties = properties
        return t
    }

    /// Every member name, for completion and suggestions.
    public var memberNames: [String] {
        Array(methods.keys) + Array(properties.keys)
    }
}

/// The single registry of builtins. Evaluation, completion, inspection,
/// `help` and the generated reference all read it, so they cannot drift apart.
public final class Registry: @unchecked Sendable {
    public private(set) var functions: [String: BuiltinFunction] = [:]
    public private(set) var types: [String: BuiltinType] = [:]

    public init() {}

    /// Names added twice: the second is refused (the first stays), and
    /// listed here so a registry's check can fail on it.
    public private(set) var refused: [String] = []

    public func add(_ f: BuiltinFunction) {
        guard functions[f.name] == nil else { refused.append(f.name); return }
        functions[f.name] = f
    }

    /// Declares a type. Members attached before, through `type(_:)`, join
    /// it, so the order in which types and their members are registered
    /// does not matter; a second declaration of one name is refused.
    public func add(_ t: BuiltinType) {
        if let existing = types[t.name] {
            guard !existing.isDeclared else { refused.append(t.name); return }
            t.absorb(existing)
        }
        types[t.name] = t
    }

    /// The type named `name`, to attach members to: the declared one, or a
    /// placeholder that its declaration takes over later.
    public func type(_ name: String) -> BuiltinType {
        if let t = types[name] { return t }
        let t = BuiltinType(placeholder: name)
        types[name] = t
        return t
    }

    /// What is wrong with the registry as built: names added twice, and
    /// types given members but never declared.
    public var conflicts: [String] {
        refused.map { "\($0) is added twice" }
            + types.values.flatMap { t in t.refused.map { "\($0) is added twice" } }
            + types.values.filter { !$0.isDeclared }.map { "\($0.name) has members but is never declared" }.sorted()
    }

    /// A registry to which builtins can be added (for hosts and tests), less
    /// some: global names (`env`) and members as `Type.member` (`SAE.save`).
    /// Types that lose a member are copied, so this registry is left as it is.
    public func copy(excluding names: Set<String> = []) -> Registry {
        let r = Registry()
        r.functions = functions.filter { !names.contains($0.key) }
        r.types = types.mapValues { t in
            let members = Set(names.compactMap { $0.hasPrefix(t.name + ".") ? String($0.dropFirst(t.name.count + 1)) : nil })
            return members.isEmpty ? t : t.copy(excluding: members)
        }
        return r
    }

    /// Names a cell can refer to without declaring them.
    public var globalNames: [String] {
        Array(functions.keys) + types.values.filter(\.isGlobal).map(\.name)
    }

}
