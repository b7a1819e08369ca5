import CCrypto
import Foundation

/// SHA-256 of a file's bytes, read in chunks so a checkpoint of gigabytes
/// never sits in memory whole.
package enum SHA256 {
    package enum Failure: Error, CustomStringConvertible, Equatable {
        case unreadable(path: String, reason: String)
        case digestUnavailable

        package var description: String {
            switch self {
            case .unreadable(let path, let reason): return "\(path): cannot be read for its SHA-256 (\(reason))"
            case .digestUnavailable: return "OpenSSL has no SHA-256"
            }
        }
    }

    /// The digest of `bytes`, as lowercase hex.
    package static func hex(of bytes: [UInt8]) throws -> String {
        try digest { update in bytes.withUnsafeBufferPointer { update($0) } }
    }

    /// The digest of the file at `path`, as lowercase hex.
    package static func hex(ofFile path: String) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var failure: Failure?
        let hex = try digest { update in
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = .unreadable(path: path, reason: String(cString: strerror(errno)))
                    return
                }
                if n == 0 { return }
                buffer.withUnsafeBufferPointer { update(UnsafeBufferPointer(rebasing: $0[..<n])) }
            }
        }
        if let failure { throw failure }
        return hex
    }

    private static func digest(_ feed: ((UnsafeBufferPointer<UInt8>) -> Void) -> Void) throws -> String {
        guard let ctx = EVP_MD_CTX_new() else { throw Failure.digestUnavailable }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1 else { throw Failure.digestUnavailable }
        feed { chunk in _ = EVP_DigestUpdate(ctx, chunk.baseAddress, chunk.count) }
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(ctx, &out, &length) == 1, length == 32 else { throw Failure.digestUnavailable }
        return out.map { String(format: "%02x", $0) }.joined()
    }
}
