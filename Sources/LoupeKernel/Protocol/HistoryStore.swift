import Foundation
import LoupeFiles
import LoupeJSON

/// Executed inputs kept across kernel restarts, so Jupyter's history (the
/// up arrow in a console, `%history`-style searches) reaches earlier
/// sessions and a crash loses nothing already run. One JSON object per
/// line, appended as each cell runs: `{"session":3,"line":7,"input":"..."}`,
/// and `{"session":3,"line":7,"output":"..."}` once its result is known.
public struct HistoryStore: Sendable {
    public let path: String
    /// Entries kept when the file is compacted.
    public var keep = 10_000

    public init(path: String) { self.path = path }

    /// `LOUPE_HISTORY` if set (empty or "off" turns persistence off), else
    /// `$XDG_DATA_HOME/loupe/history.jsonl`, else `~/.local/share/loupe/history.jsonl`.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> HistoryStore? {
        if let chosen = environment["LOUPE_HISTORY"] {
            return chosen.isEmpty || chosen == "off" ? nil : HistoryStore(path: chosen)
        }
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty { return HistoryStore(path: data + "/loupe/history.jsonl") }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return HistoryStore(path: home + "/.local/share/loupe/history.jsonl")
    }

    /// Every entry on disk, outputs joined to their inputs; unreadable lines
    /// (a torn last line after a power cut, say) are skipped. A file grown
    /// past twice `keep` entries is rewritten, atomically, with the newest `keep`.
    func load() -> [History.Entry] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        var entries: [History.Entry] = []
        var index: [String: Int] = [:]
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let record = try? JSON.parse(Array(line)), let session = record["session"]?.intValue,
                  let number = record["line"]?.intValue else { continue }
            let key = "\(session):\(number)"
            if let input = record["input"]?.stringValue {
                index[key] = entries.count
                entries.append(History.Entry(session: session, line: number, input: input, output: nil))
            } else if let output = record["output"]?.stringValue, let i = index[key] {
                entries[i].output = output
            }
        }
        if entries.count > 2 * keep {
            entries = Array(entries.suffix(keep))
            try? rewrite(entries)
        }
        return entries
    }

    /// One line of the file: `{"session":…,"line":…,"input"|"output":…}`.
    static func record(session: Int, line: Int, _ field: String, _ text: String) -> JSON {
        .object(["session": .int(session), "line": .int(line), field: .string(text)])
    }

    func append(_ record: JSON) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT, 0o600)
        guard fd >= 0 else { throw HistoryStoreError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        // A line torn by a crash must not swallow the next record: start a fresh line.
        var bytes: [UInt8] = []
        let size = lseek(fd, 0, SEEK_END)
        var last: UInt8 = 10
        if size > 0, pread(fd, &last, 1, size - 1) == 1, last != 10 { bytes.append(10) }
        // One write per record: appends of a line land whole, even with two kernels writing.
        bytes += record.serializedBytes() + [UInt8(ascii: "\n")]
        try bytes.withUnsafeBytes { try AtomicFile.writeAll(fd, $0) }
    }

    private func rewrite(_ entries: [History.Entry]) throws {
        var bytes: [UInt8] = []
        for e in entries {
            bytes += Self.record(session: e.session, line: e.line, "input", e.input).serializedBytes() + [10]
            if let o = e.output { bytes += Self.record(session: e.session, line: e.line, "output", o).serializedBytes() + [10] }
        }
        try AtomicFile.write(bytes, to: path)
    }
}

struct HistoryStoreError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "cannot append to the history file \(path) (\(reason)); set LOUPE_HISTORY to another path, or to off" }
}
