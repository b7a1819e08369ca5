import Foundation

/// SHA-256 of the files and folders a session loaded, each file hashed once
/// while its size and modification time stay the same: a notebook that
/// loads the same checkpoint in many cells hashes it once, and a file
/// rewritten in place is hashed again.
package final class FileDigests: @unchecked Sendable {
    private struct Stamp: Hashable {
        let path: String
        let size: Int64
        let modified: TimeInterval
    }

    private var cache: [Stamp: String] = [:]
    private let lock = NSLock()

    package init() {}

    /// A file's SHA-256; for a folder, the SHA-256 of its manifest: one line
    /// per regular file below it, in path order, `sha256  relative/path`
    /// (the layout `sha256sum` prints), so the folder's digest changes when
    /// any file in it does and `sha256sum` can check each file.
    package func sha256(of path: String) throws -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw SHA256.Failure.unreadable(path: path, reason: "no such file or folder")
        }
        guard isFolder.boolValue else { return try cached(path) { try SHA256.hex(ofFile: path) } }
        // A folder's own time changes when a file is added, removed or
        // renamed into it (how Loupe writes), so a dataset of thousands of
        // images is listed again only then, not at every cell.
        return try cached(path) {
            let manifest = try Self.files(below: path).map { relative in
                let file = path + "/" + relative
                return "\(try self.cached(file) { try SHA256.hex(ofFile: file) })  \(relative)\n"
            }.joined()
            return try SHA256.hex(of: Array(manifest.utf8))
        }
    }

    private func cached(_ path: String, _ compute: () throws -> String) throws -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let stamp = Stamp(path: path, size: (attributes?[.size] as? NSNumber)?.int64Value ?? -1,
                          modified: (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)
        if let known = lock.withLock({ cache[stamp] }) { return known }
        let digest = try compute()
        lock.withLock { cache[stamp] = digest }
        return digest
    }

    /// Regular files below `folder`, relative, sorted; hidden files (an
    /// atomic writer's temporaries) and symbolic links are left out.
    static func files(below folder: String) throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else {
            throw SHA256.Failure.unreadable(path: folder, reason: "the folder cannot be listed")
        }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") {
                if walker.fileAttributes?[.type] as? FileAttributeType == .typeDirectory { walker.skipDescendants() }
                continue
            }
            if walker.fileAttributes?[.type] as? FileAttributeType == .typeRegular { found.append(relative) }
        }
        return found.sorted()
    }
}
