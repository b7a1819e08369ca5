import CCrypto

/// HMAC-SHA256 signing of Jupyter messages with OpenSSL. An empty key means
/// messages are not signed, as the messaging spec says.
public final class Signer: @unchecked Sendable {
    let key: [UInt8]
    /// A context already keyed with SHA-256; each signature works on a copy,
    /// so the algorithm lookup and key setup happen once, and threads never share state.
    private let keyed: OpaquePointer?

    public init(key: String) {
        let bytes = Array(key.utf8)
        self.key = bytes
        guard !bytes.isEmpty, let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { keyed = nil; return }
        defer { EVP_MAC_free(mac) }
        let ctx = EVP_MAC_CTX_new(mac)
        let ok = "SHA256".withCString { digest -> Int32 in
            var params = [OSSL_PARAM_construct_utf8_string("digest", UnsafeMutablePointer(mutating: digest), 0),
                          OSSL_PARAM_construct_end()]
            return bytes.withUnsafeBufferPointer { EVP_MAC_init(ctx, $0.baseAddress, $0.count, &params) }
        }
        precondition(ok == 1, "OpenSSL could not set up HMAC-SHA256")
        keyed = ctx
    }

    deinit { if let keyed { EVP_MAC_CTX_free(keyed) } }

    public var isEnabled: Bool { !key.isEmpty }

    /// Hex digest over header, parent header, metadata and content, in that order.
    public func signature(_ parts: [[UInt8]]) -> String {
        guard isEnabled, let ctx = EVP_MAC_CTX_dup(keyed) else { return "" }
        defer { EVP_MAC_CTX_free(ctx) }
        for part in parts {
            part.withUnsafeBufferPointer { _ = EVP_MAC_update(ctx, $0.baseAddress, $0.count) }
        }
        var digest = [UInt8](repeating: 0, count: 32)
        var length = 0
        let ok = EVP_MAC_final(ctx, &digest, &length, digest.count)
        precondition(ok == 1 && length == 32, "OpenSSL HMAC-SHA256 failed")
        return Signer.hex(digest)
    }

    /// Constant-time comparison of the received signature with the expected one.
    public func verify(_ signature: [UInt8], _ parts: [[UInt8]]) -> Bool {
        guard isEnabled else { return true }
        let expected = Array(self.signature(parts).utf8)
        guard signature.count == expected.count else { return false }
        return signature.withUnsafeBytes { a in
            expected.withUnsafeBytes { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, expected.count) == 0 }
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
