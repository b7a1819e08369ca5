import LoupeJSON

/// The inputs (and text outputs) of this kernel's executions, answering
/// history requests by tail, range and glob search.
final class History {
    struct Entry {
        let line: Int
        let input: String
        var output: String?
    }

    /// Jupyter numbers sessions; this kernel process is one session.
    let session = 1
    private(set) var entries: [Entry] = []

    func record(line: Int, input: String) { entries.append(Entry(line: line, input: input, output: nil)) }

    func recordOutput(line: Int, _ text: String) {
        if let i = entries.lastIndex(where: { $0.line == line }) { entries[i].output = text }
    }

    func reply(_ request: JSON) -> [JSON] {
        let output = request["output"]?.boolValue ?? false
        let selected: [Entry]
        switch request["hist_access_type"]?.stringValue ?? "tail" {
        case "range":
            let requested = request["session"]?.intValue ?? 0
            // 0 and negative numbers are relative to the current session.
            guard requested == session || requested == 0 else { return [] }
            let start = request["start"]?.intValue ?? 0
            let stop = request["stop"]?.intValue
            selected = entries.filter { $0.line >= start && (stop == nil || $0.line < stop!) }
        case "search":
            let matcher = Glob(request["pattern"]?.stringValue ?? "*")
            var found = entries.filter { matcher.matches($0.input) }
            if request["unique"]?.boolValue ?? false {
                var seen = Set<String>()
                found = found.reversed().filter { seen.insert($0.input).inserted }.reversed()
            }
            selected = Array(found.suffix(request["n"]?.intValue ?? found.count))
        default:
            selected = Array(entries.suffix(max(0, request["n"]?.intValue ?? 10)))
        }
        return selected.map { e in
            let item: JSON = output ? .array([.string(e.input), e.output.map(JSON.string) ?? .null]) : .string(e.input)
            return .array([.int(session), .int(e.line), item])
        }
    }
}

/// Shell-style glob: `*` any run, `?` one character.
public struct Glob {
    let pattern: [Character]
    public init(_ pattern: String) { self.pattern = Array(pattern) }

    public func matches(_ text: String) -> Bool {
        let t = Array(text)
        var p = 0, s = 0, star = -1, mark = 0
        while s < t.count {
            if p < pattern.count, pattern[p] != "*", pattern[p] == "?" || pattern[p] == t[s] { p += 1; s += 1 }
            else if p < pattern.count, pattern[p] == "*" { star = p; mark = s; p += 1 }
            else if star >= 0 { p = star + 1; mark += 1; s = mark }
            else { return false }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}
