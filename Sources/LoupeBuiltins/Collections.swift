import LoupeLanguage
/// Members of arrays, ranges, strings and dictionaries.
func registerCollections(_ r: Registry) {
    // Descriptions only (isGlobal false): their values come from literals.
    let array = BuiltinType("Array", doc: "An ordered list of values: `[1, 2, 3]`.", isGlobal: false)
    let range = BuiltinType("Range", doc: "Consecutive integers: `0..<8` (half-open) or `1...8` (closed).", isGlobal: false)
    let dictionary = BuiltinType("Dictionary", doc: "Values by key: `[17: 150, 3: 0]`; `[:]` is empty.", isGlobal: false)
    [array, range, dictionary].forEach(r.add)
    let string = r.type("String")
    let sequences = [array, range]

    func elements(_ v: Value) throws -> [Value] {
        switch v {
        case .array(let items): return items
        case .range(let lo, let hi, let closed): return try Value.elements(lower: lo, upper: hi, closed: closed)
        default: return []
        }
    }
    /// A range's integers, to answer from its bounds without listing them.
    func integers(_ v: Value) -> Range<Int>? {
        if case .range(let lo, let hi, let closed) = v { return Value.indices(lower: lo, upper: hi, closed: closed) }
        return nil
    }
    func numbers(_ ctx: CallContext) throws -> [Double] {
        try elements(ctx.receiver).map {
            guard let d = $0.asDouble else { throw LoupeError(.type, "\(ctx.function.name)() needs numbers, found a \($0.typeName)", at: ctx.span) }
            return d
        }
    }

    for t in sequences {
        // A range answers these from its bounds, never by listing its elements.
        t.addProperty(BuiltinProperty("count", type: "Int", doc: "Number of elements.") { v in
            if let r = integers(v) { return .int(r.count) }
            return .int(try elements(v).count)
        })
        t.addProperty(BuiltinProperty("isEmpty", type: "Bool", doc: "Whether there are no elements.") { v in
            if let r = integers(v) { return .bool(r.isEmpty) }
            return .bool(try elements(v).isEmpty)
        })
        t.addProperty(BuiltinProperty("first", type: "Any?", doc: "The first element, or nil.") { v in
            if let r = integers(v) { return r.first.map(Value.int) ?? .null }
            return try elements(v).first ?? .null
        })
        t.addProperty(BuiltinProperty("last", type: "Any?", doc: "The last element, or nil.") { v in
            if let r = integers(v) { return r.last.map(Value.int) ?? .null }
            return try elements(v).last ?? .null
        })
        t.addMethod(BuiltinFunction("map", [Parameter(nil, name: "transform", type: "Closure (element) -> Any")], returns: "Array",
                                    doc: "A new array with the closure applied to each element: `xs.map { $0 * 2 }`.") { ctx in
            .array(try elements(ctx.receiver).map { try ctx.checkInterrupt(); return try ctx.call("transform", [$0]) })
        })
        t.addMethod(BuiltinFunction("filter", [Parameter(nil, name: "isIncluded", type: "Closure (element) -> Bool")], returns: "Array",
                                    doc: "The elements for which the closure returns true: `xs.filter { $0 > 2 }`.") { ctx in
            .array(try elements(ctx.receiver).filter {
                guard case .bool(let keep) = try ctx.call("isIncluded", [$0]) else {
                    throw LoupeError(.type, "filter's closure must return a Bool", at: ctx.span)
                }
                return keep
            })
        })
        t.addMethod(BuiltinFunction("reduce", [Parameter(nil, name: "initial", type: "Any"),
                                               Parameter(nil, name: "combine", type: "Closure (result, element) -> Any")],
                                    returns: "Any", doc: "Combines the elements into one value: `xs.reduce(0) { $0 + $1 }`.") { ctx in
            try elements(ctx.receiver).reduce(ctx.value("initial")) { try ctx.call("combine", [$0, $1]) }
        })
        t.addMethod(BuiltinFunction("contains", [Parameter(nil, name: "element", type: "Any")], returns: "Bool",
                                    doc: "Whether an element equals the value.") { ctx in
            if let r = integers(ctx.receiver) {
                guard case .int(let i) = ctx.value("element") else { return .bool(false) }
                return .bool(r.contains(i))
            }
            return .bool(try elements(ctx.receiver).contains { Value.equal($0, ctx.value("element")) })
        })
        t.addMethod(BuiltinFunction("sum", returns: "Double", doc: "The sum of numeric elements (Int if all are Int).") { ctx in
            if let r = integers(ctx.receiver) {
                // n (first + last) / 2, in closed form, exact in 128 bits.
                guard let first = r.first, let last = r.last else { return .int(0) }
                guard let total = Int(exactly: Int128(r.count) * (Int128(first) + Int128(last)) / 2) else {
                    throw LoupeError(.value, "integer overflow in sum(); use Doubles for very large numbers", at: ctx.span)
                }
                return .int(total)
            }
            if try elements(ctx.receiver).allSatisfy({ if case .int = $0 { return true }; return false }) {} else {
                return .double(try numbers(ctx).reduce(0, +))
            }
            var total = 0
            for v in try elements(ctx.receiver) {
                guard case .int(let i) = v else { continue }
                let (s, o) = total.addingReportingOverflow(i)
                if o { throw LoupeError(.value, "integer overflow in sum()", at: ctx.span) }
                total = s
            }
            return .int(total)
        })
        t.addMethod(BuiltinFunction("mean", returns: "Double", doc: "The arithmetic mean of numeric elements.") { ctx in
            let xs = try numbers(ctx)
            guard !xs.isEmpty else { throw LoupeError(.value, "mean() of an empty collection", at: ctx.span) }
            return .double(xs.reduce(0, +) / Double(xs.count))
        })
        t.addMethod(BuiltinFunction("sorted", returns: "Array", doc: "The elements in ascending order (numbers or strings).") { ctx in
            let items = try elements(ctx.receiver)
            if let xs = try? numbers(ctx) { return .array(zip(xs, items).sorted { $0.0 < $1.0 }.map(\.1)) }
            let strings = items.compactMap { if case .string(let s) = $0 { return s }; return nil }
            guard strings.count == items.count else { throw LoupeError(.type, "sorted() needs all numbers or all strings", at: ctx.span) }
            return .array(strings.sorted().map { .string($0) })
        })
        t.addMethod(BuiltinFunction("reversed", returns: "Array", doc: "The elements in reverse order.") { ctx in
            .array(try elements(ctx.receiver).reversed())
        })
    }
    array.addMethod(BuiltinFunction("append", [Parameter(nil, name: "element", type: "Any")], doc: "Adds an element at the end of a `var` array.",
                                    mutating: true) { ctx in
        .array(try elements(ctx.receiver) + [ctx.value("element")])
    })
    array.addMethod(BuiltinFunction("joined", [Parameter("separator", type: "String", default: .string(""))], returns: "String",
                                    doc: "The elements' text joined with the separator.") { ctx in
        .string(try elements(ctx.receiver).map(\.printed).joined(separator: try ctx.string("separator")))
    })

    func text(_ v: Value) -> String { if case .string(let s) = v { return s }; return "" }
    string.addProperty(BuiltinProperty("count", type: "Int", doc: "Number of characters.") { .int(text($0).count) })
    string.addProperty(BuiltinProperty("isEmpty", type: "Bool", doc: "Whether the string has no characters.") { .bool(text($0).isEmpty) })
    string.addMethod(BuiltinFunction("uppercased", returns: "String", doc: "The string in upper case.") { .string(text($0.receiver).uppercased()) })
    string.addMethod(BuiltinFunction("lowercased", returns: "String", doc: "The string in lower case.") { .string(text($0.receiver).lowercased()) })
    string.addMethod(BuiltinFunction("contains", [Parameter(nil, name: "other", type: "String")], returns: "Bool",
                                     doc: "Whether the string contains another.") { ctx in
        let needle = try ctx.string("other")
        return .bool(needle.isEmpty || text(ctx.receiver).contains(needle))
    })
    string.addMethod(BuiltinFunction("hasPrefix", [Parameter(nil, name: "prefix", type: "String")], returns: "Bool",
                                     doc: "Whether the string starts with the prefix.") { ctx in
        .bool(text(ctx.receiver).hasPrefix(try ctx.string("prefix")))
    })
    string.addMethod(BuiltinFunction("split", [Parameter("separator", type: "String", default: .string(" "))], returns: "[String]",
                                     doc: "The pieces between separators, without empty pieces.") { ctx in
        let sep = try ctx.string("separator")
        guard !sep.isEmpty else { throw ctx.valueError("separator", "the separator must not be empty") }
        return .array(text(ctx.receiver).split(separator: sep).map { .string(String($0)) })
    })

    func entries(_ v: Value) -> [(key: Value, value: Value)] { if case .dictionary(let e) = v { return e }; return [] }
    dictionary.addProperty(BuiltinProperty("count", type: "Int", doc: "Number of entries.") { .int(entries($0).count) })
    dictionary.addProperty(BuiltinProperty("isEmpty", type: "Bool", doc: "Whether there are no entries.") { .bool(entries($0).isEmpty) })
    dictionary.addProperty(BuiltinProperty("keys", type: "Array", doc: "The keys, in insertion order.") { .array(entries($0).map(\.key)) })
    dictionary.addProperty(BuiltinProperty("values", type: "Array", doc: "The values, in insertion order.") { .array(entries($0).map(\.value)) })
}
