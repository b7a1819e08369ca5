import Foundation

/// Every file Loupe writes goes under a temporary name in the same folder and
/// is renamed into place, so a crash or a kill never leaves a half-written
/// file: readers see the old file or the new one, nothing in between.
package enum AtomicFile {
    /// Writes `bytes` to `path` atomically, creating the parent folder.
    package static func write(_ bytes: [UInt8], to path: String) throws {
        try write(to: path) { handle in
            try bytes.withUnsafeBytes { try writeAll(handle, $0) }
        }
    }

    /// Opens a temporary file beside `path`, lets `body` fill it, flushes it
    /// to disk and renames it over `path`. On any error the temporary file
    /// is removed and `path` is untouched.
    package static func write(to path: String, _ body: (Int32) throws -> Void) throws {
        try prepare(to: path, body).commit()
    }

    /// A file written in full and flushed under its temporary name, not yet
    /// in place: for writers of several files that must change together
    /// (an SAE's weights and cfg.json), which prepare them all before
    /// renaming any.
    package struct Pending: Sendable {
        package let path: String
        package let temporary: String

        /// Renames the file into place.
        package func commit() throws {
            guard rename(temporary, path) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                throw FileWriteError.cannotReplace(name: (path as NSString).lastPathComponent, reason: reason)
            }
        }

        /// Removes the temporary file; `path` is untouched.
        package func discard() { unlink(temporary) }
    }

    /// Writes and flushes `path`'s new contents under a temporary name beside
    /// it, without renaming. On any error the temporary file is removed.
    package static func prepare(to path: String, _ body: (Int32) throws -> Void) throws -> Pending {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        removeAbandonedTemporaries(of: url.lastPathComponent, in: folder)
        let temporary = folder + "/" + temporaryPrefix(of: url.lastPathComponent) + "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw FileWriteError.cannotCreate(path: path, reason: String(cString: strerror(errno)))
        }
        do {
            try body(fd)
            guard fsync(fd) == 0 else { throw FileWriteError.cannotFlush(path: path, reason: String(cString: strerror(errno))) }
            close(fd)
            return Pending(path: path, temporary: temporary)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
    }

    /// How the temporary files of `name` begin: `.NAME.tmp-`, then the
    /// writer's process id and a random number.
    package static func temporaryPrefix(of name: String) -> String { "." + name + ".tmp-" }

    /// A process killed mid-write leaves its temporary file behind (the
    /// target itself is intact). The next write of the same file removes
    /// those whose writer is gone, so killed saves do not fill the disk.
    static func removeAbandonedTemporaries(of name: String, in folder: String) {
        let prefix = temporaryPrefix(of: name)
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where entry.hasPrefix(prefix) {
            guard let pid = Int32(entry.dropFirst(prefix.count).split(separator: "-").first ?? ""), pid > 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink(folder + "/" + entry) }
        }
    }

    /// Writes every byte of `buffer`, retrying short writes.
    package static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < buffer.count {
            let n = Foundation.write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileWriteError.writeFailed(reason: String(cString: strerror(errno)))
            }
            done += n
        }
    }
}

/// Why a file could not be written, and what to check.
package enum FileWriteError: Error, CustomStringConvertible, Sendable, Equatable {
    case cannotCreate(path: String, reason: String)
    case cannotFlush(path: String, reason: String)
    case cannotReplace(name: String, reason: String)
    case writeFailed(reason: String)

    package var description: String {
        switch self {
        case .cannotCreate(let path, let reason): "cannot write '\(path)': \(reason); check that the folder is writable"
        case .cannotFlush(let path, let reason): "cannot flush '\(path)' to disk: \(reason)"
        case .cannotReplace(let name, let reason): "cannot move the new '\(name)' into place: \(reason)"
        case .writeFailed(let reason): "write failed: \(reason); is the disk full?"
        }
    }
}
