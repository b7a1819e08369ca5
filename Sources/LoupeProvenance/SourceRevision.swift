import Foundation

/// The git commit of the source tree this binary was built from, read once
/// when first asked. A build has no step that could stamp it in, so it is
/// read from the checkout that holds this file's source; a fresh clone in CI
/// has one. A binary whose checkout is gone, or a machine without git, says
/// "unknown" rather than guessing.
package struct SourceRevision: Equatable, Sendable {
    /// The full commit hash, or "unknown".
    package let commit: String
    /// Whether tracked files differ from that commit; nil when unknown.
    package let modified: Bool?

    package init(commit: String, modified: Bool?) {
        self.commit = commit
        self.modified = modified
    }

    package static let unknown = SourceRevision(commit: "unknown", modified: nil)

    package static let current: SourceRevision = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        return read(checkout: root)
    }()

    /// The revision of the checkout at `root`, or `unknown`.
    package static func read(checkout root: String) -> SourceRevision {
        guard FileManager.default.fileExists(atPath: root + "/.git"),
              let head = git(["rev-parse", "--verify", "HEAD"], in: root)?.trimmingCharacters(in: .whitespacesAndNewlines),
              head.count == 40, head.allSatisfy(\.isHexDigit) else { return .unknown }
        let status = git(["status", "--porcelain", "--untracked-files=no"], in: root)
        return SourceRevision(commit: head, modified: status.map { !$0.isEmpty })
    }

    private static func git(_ arguments: [String], in folder: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", folder] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
