import LoupeJSON

/// The inputs (and text outputs) of executions, answering history requests
/// by tail, range and glob search. With a store, earlier kernel sessions are
/// loaded at start and this one's executions are appended as they run; this
/// kernel process is the session after the newest one on disk.
final class History {
    struct Entry {
        let session: Int
        let line: Int
        let input: String
        var output: String?
    }

    let session: Int
    private(set) var entries: [Entry]
    private let store: HistoryStore?
    private let log: (String) -> Void
    private var storeFailed = false

    init(store: HistoryStore? = nil, log: @escaping (String) -> Void = { _ in }) {
        self.store = store
        self.log = log
        entries = store?.load() ?? []
        session = (entries.map(\.session).max() ?? 0) + 1
    }

    func record(line: Int, input: String) {
        entries.append(Entry(session: session, line: line, input: input, output: nil))
        persist(HistoryStore.record(session: session, line: line, "input", input))
    }

    func recordOutput(line: Int, _ text: String) {
        if let i = entries.lastIndex(where: { $0.session == session && $0.line == line }) { entries[i].output = text }
        persist(HistoryStore.record(session: session, line: line, "output", text))
    }

    /// History is a convenience: a full disk or a read-only home must never
    /// fail an execution, so a failed append is logged once and then skipped.
    private func persist(_ record: JSON) {
        guard let store, !storeFailed else { return }
        do { try store.append(record) } catch {
            storeFailed = true
            log("\(error)")
        }
    }

    func reply(_ request: JSON) -> [JSON] {
        let output = request["output"]?.boolValue ?? false
        let selected: [Entry]
        switch request["hist_access_type"]?.stringValue ?? "tail" {
        case "range":
            // 0 is the current session, negative numbers count back from it.
            let requested = request["session"]?.intValue ?? 0
            let wanted = requested <= 0 ? session + requested : requested
            let start = request["start"]?.intValue ?? 0
            let stop = request["stop"]?.intValue
            selected = entries.filter { $0.session == wanted && $0.line >= start && (stop == nil || $0.line < stop!) }
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
            return .array([.int(e.session), .int(e.line), item])
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
