import Foundation

/// Allocations sized by what a person typed (a width, a count, a range) are
/// checked against the memory the system can still give before they are
/// made: a refused command keeps the session, an allocation that fails
/// kills it.
public enum MemoryBudget {
    /// Bytes available now: MemAvailable from /proc/meminfo, else the
    /// machine's physical memory.
    public static var available: Int {
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kb = Int(line.split(separator: " ").dropFirst().first ?? "") {
            return kb.multipliedReportingOverflow(by: 1024).overflow ? Int.max : kb * 1024
        }
        return Int(clamping: ProcessInfo.processInfo.physicalMemory)
    }

    /// Throws unless `count` items of `size` bytes fit in nine tenths of
    /// what is available. `what` names them in the error.
    public static func check(count: Int, of size: Int, for what: String) throws {
        let (bytes, overflow) = max(0, count).multipliedReportingOverflow(by: max(0, size))
        try check(bytes: overflow ? Int.max : bytes, for: what)
    }

    public static func check(bytes: Int, for what: String) throws {
        // Small requests never need the look at /proc.
        guard bytes > 64 << 20 else { return }
        let free = available
        guard bytes > free / 10 * 9 else { return }
        throw LoupeError(.value, "\(what) would need \(describe(bytes)) of memory, but only \(describe(free)) is available; "
                         + "ask for less")
    }

    /// "12.5 GB", "300 MB".
    public static func describe(_ bytes: Int) -> String {
        if bytes == Int.max { return "more than an Int can count" }
        let gb = Double(bytes) / 1e9
        if gb >= 1000 { return String(format: "%.3g TB", gb / 1000) }
        return gb >= 1 ? String(format: "%.1f GB", gb) : String(format: "%.0f MB", Double(bytes) / 1e6)
    }
}

extension CallContext {
    /// `MemoryBudget.check`, with the error pointing at this call.
    public func checkMemory(count: Int, of size: Int, for what: String) throws {
        do { try MemoryBudget.check(count: count, of: size, for: what) } catch let e as LoupeError { throw e.located(span) }
    }
}
