import CCrypto

/// HMAC-SHA256 signing of Jupyter messages with OpenSSL. An empty key means
/// messages are not signed, as the messaging spec says.
public struct Signer: Sendable {
    let key: [UInt8]

    public init(key: String) { self.key = Array(key.utf8) }

    public var isEnabled: Bool { !key.isEmpty }

    /// Hex digest over header, parent header, metadata and content, in that order.
    public func signature(_ parts: [[UInt8]]) -> String {
        guard isEnabled else { return "" }
        var data: [UInt8] = []
        data.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for p in parts { data.append(contentsOf: p) }
        var digest = [UInt8](repeating: 0, count: 32)
        var length = 0
        let ok = key.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                EVP_Q_mac(nil, "HMAC", nil, "SHA256", nil, k.baseAddress, key.count, d.baseAddress, data.count,
                          &digest, digest.count, &length)
            }
        }
        precondition(ok != nil && length == 32, "OpenSSL HMAC-SHA256 failed")
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
