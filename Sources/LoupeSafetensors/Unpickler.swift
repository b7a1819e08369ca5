import Foundation

/// A value of a Python pickle, as far as a checkpoint needs: numbers,
/// strings, containers, and calls recorded rather than made. Nothing in the
/// file is ever run: a class or function the pickle names stays a name.
package indirect enum PickleValue: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list([PickleValue])
    case dict([(key: PickleValue, value: PickleValue)])
    /// `module.name`, as GLOBAL names it.
    case global(String)
    /// `callable(*arguments)`, with the state BUILD gave it.
    case call(String, [PickleValue], state: PickleValue?)
    /// A persistent id: torch's reference to a storage in the archive.
    case persistent(PickleValue)
    /// A tensor torch rebuilds from a storage (`torch._utils._rebuild_tensor_v2`).
    case tensor(TorchTensorReference)

    package var string: String? { if case .string(let s) = self { return s }; return nil }
    package var int: Int? { if case .int(let i) = self { return i }; return nil }
    package var items: [PickleValue]? {
        switch self {
        case .tuple(let a), .list(let a): a
        default: nil
        }
    }

    /// The value under string key `key` of a dict, or of an object's state dict.
    package subscript(key: String) -> PickleValue? {
        switch self {
        case .dict(let pairs): pairs.first { $0.key.string == key }?.value
        case .call(_, _, let state?): state[key]
        default: nil
        }
    }
}

/// Where a tensor's values are: a storage in the archive, an offset into
/// it, and the shape and strides (in elements).
package struct TorchTensorReference: Sendable {
    package let storageKey: String
    package let dtype: SafetensorsFile.DType
    package let offset: Int
    package let shape: [Int]
    package let stride: [Int]
}

/// A pickle virtual machine for protocols 2 to 5, limited to the opcodes
/// that data (not code) needs; any other opcode is an error naming it.
///
/// The file is untrusted, so the machine stays linear in its size: lists,
/// dicts and objects under construction are mutable boxes (`Building`),
/// filled in place by APPEND, SETITEM and BUILD and shared by the memo as
/// Python shares them, and a box becomes a plain `PickleValue` once, when
/// it is placed inside another value. After that it may not change: a
/// pickle that fills a container it already placed elsewhere (a structure
/// that contains itself) is refused, as `PickleValue` cannot represent it.
/// Every declared length is checked against the bytes left before use.
package struct Unpickler {
    let bytes: UnsafeRawBufferPointer
    let path: String

    package init(_ bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes; self.path = path
    }

    /// A list, dict or called object still being filled.
    private final class Building {
        enum Kind { case list, dict, call(String, [PickleValue]) }
        let kind: Kind
        var items: [PickleValue] = []
        var pairs: [(key: PickleValue, value: PickleValue)] = []
        /// Whether SETITEM(S) filled a called object (an OrderedDict subclass and the like).
        var filled = false
        var state: PickleValue?
        /// How deeply its contents nest, so far.
        var depth = 0
        /// Set once it is placed inside another value; it may not change after.
        private(set) var value: PickleValue?

        init(_ kind: Kind, items: [PickleValue] = [], depth: Int = 0) { self.kind = kind; self.items = items; self.depth = depth }

        var isSealed: Bool { value != nil }

        /// The finished value; from now on the box is read-only.
        func seal() -> PickleValue {
            if let value { return value }
            let v: PickleValue
            switch kind {
            case .list: v = .list(items)
            case .dict: v = .dict(pairs)
            case .call(let name, let args): v = .call(name, args, state: filled ? .dict(pairs) : state)
            }
            value = v
            return v
        }
    }

    /// Each value on the stack keeps how deeply it nests, so a file of a
    /// million nested tuples is refused rather than freed by deep recursion.
    private enum Item {
        case value(PickleValue, depth: Int), building(Building), mark
        var isMark: Bool { if case .mark = self { return true }; return false }
    }
    static let maxDepth = 100

    package func load() throws -> PickleValue {
        var stack: [Item] = []
        var memo: [Int: Item] = [:]
        var at = 0
        func fail(_ problem: String) -> SafetensorsError {
            SafetensorsError(file: path, problem: problem, fix: "Loupe reads checkpoints that hold tensors, numbers, strings and containers; save the state dict alone.")
        }
        /// `n` bytes, `n` read from the file: bounded by what is left before any arithmetic.
        func take(_ n: Int, _ what: String = "value") throws -> UnsafeRawBufferPointer {
            guard n >= 0, n <= bytes.count - at else {
                throw fail("its pickle declares a \(what) of \(UInt(bitPattern: n)) bytes at byte \(at), but only \(bytes.count - at) remain")
            }
            defer { at += n }
            return UnsafeRawBufferPointer(rebasing: bytes[at..<(at + n)])
        }
        /// A little-endian unsigned length or number of `n` bytes (n ≤ 8; 8 bytes may read as negative, which `take` refuses).
        func unsigned(_ n: Int) throws -> Int {
            try take(n).reversed().reduce(0) { $0 << 8 | Int($1) }
        }
        func line() throws -> String {
            guard let end = bytes[at...].firstIndex(of: 0x0A) else { throw fail("its pickle ends early") }
            defer { at = end + 1 }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<end]), as: UTF8.self)
        }
        /// The next value off the stack, finished: a box popped here is placed in something else.
        func popItem() throws -> (PickleValue, Int) {
            switch stack.popLast() {
            case .value(let v, let depth)?: return (v, depth)
            case .building(let b)?: return (b.seal(), b.depth)
            default: throw fail("its pickle is malformed (stack underflow)")
            }
        }
        func pop() throws -> PickleValue { try popItem().0 }
        var lastDepth = 0
        func popToMark() throws -> [PickleValue] {
            var items: [PickleValue] = []
            lastDepth = 0
            while let item = stack.popLast() {
                switch item {
                case .mark: return items.reversed()
                case .value(let v, let depth): items.append(v); lastDepth = max(lastDepth, depth)
                case .building(let b): items.append(b.seal()); lastDepth = max(lastDepth, b.depth)
                }
            }
            throw fail("its pickle is malformed (no mark)")
        }
        func checkDepth(_ depth: Int) throws {
            guard depth <= Self.maxDepth else { throw fail("nests values more than \(Self.maxDepth) deep, which no checkpoint does") }
        }
        func push(_ v: PickleValue, depth: Int = 0) throws {
            try checkDepth(depth)
            stack.append(.value(v, depth: depth))
        }
        func push(_ b: Building) throws {
            try checkDepth(b.depth)
            stack.append(.building(b))
        }
        func text(_ n: Int) throws -> String {
            guard let s = String(validating: try take(n, "string"), as: UTF8.self) else {
                throw fail("holds a string that is not valid UTF-8 at byte \(at - n)")
            }
            return s
        }
        /// The box on top of the stack, to be filled in place; `what` names the operation for errors.
        func top(_ what: String) throws -> Building? {
            switch stack.last {
            case .building(let b)?:
                guard !b.isSealed else {
                    throw fail("\(what) a container after placing it inside another value (a structure that contains itself), which Loupe does not read")
                }
                return b
            case .value?: return nil
            default: throw fail("its pickle is malformed (\(what) a mark)")
            }
        }
        /// Records that box `b` now holds something `inner` deep.
        func deepen(_ b: Building, holding inner: Int) throws {
            b.depth = max(b.depth, inner + 1)
            try checkDepth(b.depth)
        }

        while true {
            let op = try unsigned(1)
            switch op {
            case 0x80: _ = try unsigned(1)                                    // PROTO
            case 0x95: _ = try take(8)                                        // FRAME
            case 0x2E: return try pop()                                       // STOP
            case 0x28: stack.append(.mark)                                    // MARK
            case 0x4E: try push(.none)                                            // NONE
            case 0x88: try push(.bool(true))                                      // NEWTRUE
            case 0x89: try push(.bool(false))                                     // NEWFALSE
            case 0x4B: try push(.int(try unsigned(1)))                            // BININT1
            case 0x4D: try push(.int(try unsigned(2)))                            // BININT2
            case 0x4A: try push(.int(Int(Int32(truncatingIfNeeded: try unsigned(4)))))   // BININT
            case 0x8A:                                                         // LONG1
                let n = try unsigned(1)
                guard n <= 8 else { throw fail("holds an integer too large for 64 bits") }
                let raw = try take(n)
                var v = 0
                for (i, b) in raw.enumerated() { v |= Int(b) << (8 * i) }
                if n > 0 && n < 8 && raw[n - 1] & 0x80 != 0 { v -= 1 << (8 * n) }
                try push(.int(v))
            case 0x47: try push(.float(Double(bitPattern: try take(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) })))   // BINFLOAT, big-endian
            case 0x58: try push(.string(try text(try unsigned(4))))               // BINUNICODE
            case 0x8C: try push(.string(try text(try unsigned(1))))               // SHORT_BINUNICODE
            case 0x8D: try push(.string(try text(try unsigned(8))))               // BINUNICODE8
            case 0x43: try push(.bytes(Array(try take(try unsigned(1), "bytes value"))))   // SHORT_BINBYTES
            case 0x42: try push(.bytes(Array(try take(try unsigned(4), "bytes value"))))   // BINBYTES
            case 0x29: try push(.tuple([]))                                       // EMPTY_TUPLE
            case 0x85, 0x86, 0x87:                                             // TUPLE1, TUPLE2, TUPLE3
                var items: [PickleValue] = [], depth = 0
                for _ in 0..<(op - 0x84) { let (v, d) = try popItem(); items.append(v); depth = max(depth, d) }
                try push(.tuple(items.reversed()), depth: depth + 1)
            case 0x74: let items = try popToMark(); try push(.tuple(items), depth: lastDepth + 1)   // TUPLE
            case 0x5D: try push(Building(.list))                                  // EMPTY_LIST
            case 0x6C: let items = try popToMark(); try push(Building(.list, items: items, depth: lastDepth + 1))   // LIST
            case 0x7D: try push(Building(.dict))                                  // EMPTY_DICT
            case 0x61, 0x65:                                                   // APPEND, APPENDS
                let values: [PickleValue], inner: Int
                if op == 0x61 { let (v, d) = try popItem(); values = [v]; inner = d } else { values = try popToMark(); inner = lastDepth }
                guard let list = try top("appends to"), case .list = list.kind else { throw fail("appends to something not a list") }
                list.items.append(contentsOf: values)
                try deepen(list, holding: inner)
            case 0x73, 0x75:                                                   // SETITEM, SETITEMS
                var flat: [PickleValue], inner = 0
                if op == 0x73 {
                    let (value, dv) = try popItem(), (key, dk) = try popItem()
                    flat = [key, value]; inner = max(dv, dk)
                } else {
                    flat = try popToMark(); inner = lastDepth
                }
                guard flat.count % 2 == 0 else { throw fail("its pickle is malformed (odd SETITEMS)") }
                guard let mapping = try top("sets items on") else { throw fail("sets items on something not a dict") }
                switch mapping.kind {
                case .dict: break
                // An OrderedDict (or other mapping) made by a call, filled item by item.
                case .call: mapping.filled = true
                case .list: throw fail("sets items on something not a dict")
                }
                for i in stride(from: 0, to: flat.count, by: 2) { mapping.pairs.append((key: flat[i], value: flat[i + 1])) }
                try deepen(mapping, holding: inner)
            case 0x63:                                                         // GLOBAL
                let module = try line(), name = try line()
                try push(.global(module + "." + name))
            case 0x93:                                                         // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard let n = name.string, let m = module.string else { throw fail("names a global with non-strings") }
                try push(.global(m + "." + n))
            case 0x71: memo[try unsigned(1)] = try peek()                     // BINPUT
            case 0x72: memo[try unsigned(4)] = try peek()                     // LONG_BINPUT
            case 0x94: memo[memo.count] = try peek()                          // MEMOIZE
            case 0x68, 0x6A:                                                   // BINGET, LONG_BINGET
                let key = try unsigned(op == 0x68 ? 1 : 4)
                guard let item = memo[key] else { throw fail("refers to memo \(key), which it never stored") }
                stack.append(item)
            case 0x30: _ = try pop()                                          // POP
            case 0x31: _ = try popToMark()                                    // POP_MARK
            case 0x32: stack.append(try peek())                               // DUP
            case 0x51: let (v, d) = try popItem(); try push(.persistent(v), depth: d + 1)          // BINPERSID
            case 0x52, 0x81:                                                   // REDUCE, NEWOBJ
                let (args, d) = try popItem(), callable = try pop()
                guard case .global(let name) = callable else { throw fail("calls something that is not a named global") }
                switch try call(name, args.items ?? [args], fail: fail) {
                case .dict: try push(Building(.dict, depth: d + 1))
                case .call(let f, let a, _): try push(Building(.call(f, a), depth: d + 1))
                case let value: try push(value, depth: d + 1)
                }
            case 0x62:                                                         // BUILD
                let (state, d) = try popItem()
                // An object takes the state (its attributes); a mapping already
                // filled keeps its items; anything else (OrderedDict._metadata and
                // the like) has nothing Loupe needs.
                if case .building(let b)? = stack.last, case .call = b.kind, !b.filled, b.state == nil {
                    _ = try top("builds")
                    b.state = state
                    try deepen(b, holding: d)
                }
            default:
                throw fail(String(format: "uses pickle opcode 0x%02x at byte %d, which Loupe does not read", op, at - 1))
            }
        }

        func peek() throws -> Item {
            switch stack.last {
            case let item? where !item.isMark: return item
            default: throw fail("its pickle is malformed (memo or copy of a mark)")
            }
        }
    }

    /// What a call in the pickle stands for: a tensor for torch's rebuild
    /// functions, an empty mapping for OrderedDict, otherwise the call itself.
    private func call(_ name: String, _ args: [PickleValue], fail: (String) -> SafetensorsError) throws -> PickleValue {
        switch name {
        case "collections.OrderedDict":
            return .dict([])
        case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
            guard args.count >= 4, case .persistent(let pid) = args[0], let id = pid.items, id.count >= 3,
                  case .global(let storageType) = id[1], let key = id[2].string, let offset = args[1].int,
                  let shape = args[2].items?.compactMap(\.int), let stride = args[3].items?.compactMap(\.int),
                  shape.count == args[2].items?.count, stride.count == shape.count else {
                throw fail("holds a tensor Loupe cannot locate")
            }
            let types: [String: SafetensorsFile.DType] = [
                "torch.FloatStorage": .f32, "torch.HalfStorage": .f16, "torch.BFloat16Storage": .bf16, "torch.DoubleStorage": .f64,
                "torch.LongStorage": .i64, "torch.IntStorage": .i32, "torch.ShortStorage": .i16, "torch.CharStorage": .i8,
                "torch.ByteStorage": .u8, "torch.BoolStorage": .bool,
            ]
            guard let dtype = types[storageType] else {
                throw fail("holds a tensor of \(storageType); Loupe reads float32, float16, bfloat16, float64, integers and booleans")
            }
            return .tensor(TorchTensorReference(storageKey: key, dtype: dtype, offset: offset, shape: shape, stride: stride))
        default:
            return .call(name, args, state: nil)
        }
    }
}
