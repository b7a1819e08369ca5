import Foundation
import LoupeJSON

/// One Jupyter message: routing identities, the four signed JSON parts and
/// any binary buffers.
public struct Message {
    public var identities: [[UInt8]]
    public var header: JSON
    public var parentHeader: JSON
    public var metadata: JSON
    public var content: JSON
    public var buffers: [[UInt8]]

    public var type: String { header["msg_type"]?.stringValue ?? "" }
    public var id: String { header["msg_id"]?.stringValue ?? "" }

    public init(identities: [[UInt8]] = [], header: JSON, parentHeader: JSON = [:], metadata: JSON = [:],
                content: JSON, buffers: [[UInt8]] = []) {
        self.identities = identities
        self.header = header
        self.parentHeader = parentHeader
        self.metadata = metadata
        self.content = content
        self.buffers = buffers
    }

    /// A fresh header for a message of this type in this session.
    public static func header(type: String, session: String, username: String = "loupe") -> JSON {
        [
            "msg_id": .string(UUID().uuidString.lowercased()),
            "session": .string(session),
            "username": .string(username),
            "date": .string(isoNow()),
            "msg_type": .string(type),
            "version": .string(KernelInfo.protocolVersion),
        ]
    }

    /// ISO 8601 UTC with microseconds, as Jupyter writes dates.
    static func isoNow() -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        var t = tm()
        var seconds = tv.tv_sec
        gmtime_r(&seconds, &t)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(t.tm_year + 1900, 4))-\(pad(t.tm_mon + 1, 2))-\(pad(t.tm_mday, 2))T"
            + "\(pad(t.tm_hour, 2)):\(pad(t.tm_min, 2)):\(pad(t.tm_sec, 2)).\(pad(Int32(tv.tv_usec), 6))Z"
    }
}

/// Why an incoming message was dropped.
public enum WireError: Error, CustomStringConvertible {
    case noDelimiter
    case tooFewFrames(Int)
    case badSignature
    case badJSON(part: String, JSONError)
    case notAnObject(part: String)

    public var description: String {
        switch self {
        case .noDelimiter: return "no <IDS|MSG> delimiter"
        case .tooFewFrames(let n): return "\(n) frames after the delimiter; a message needs at least 5"
        case .badSignature: return "missing or wrong HMAC signature"
        case .badJSON(let part, let e): return "\(part): \(e)"
        case .notAnObject(let part): return "\(part) is not a JSON object"
        }
    }
}

/// Turns frames into messages and back, signing and checking signatures.
public struct WireCodec: Sendable {
    public static let delimiter = Array("<IDS|MSG>".utf8)
    public let signer: Signer

    public init(signer: Signer) { self.signer = signer }

    public func decode(_ frames: [[UInt8]]) throws -> Message {
        guard let split = frames.firstIndex(of: WireCodec.delimiter) else { throw WireError.noDelimiter }
        let rest = frames[(split + 1)...]
        guard rest.count >= 5 else { throw WireError.tooFewFrames(rest.count) }
        let parts = Array(rest.dropFirst().prefix(4))
        // The signature is checked before any JSON is parsed.
        guard signer.verify(rest[rest.startIndex], parts) else { throw WireError.badSignature }
        let names = ["header", "parent_header", "metadata", "content"]
        var values: [JSON] = []
        for (name, bytes) in zip(names, parts) {
            let value: JSON
            do { value = try JSON.parse(bytes) } catch let e as JSONError { throw WireError.badJSON(part: name, e) }
            guard case .object = value else { throw WireError.notAnObject(part: name) }
            values.append(value)
        }
        guard values[0]["msg_type"]?.stringValue != nil else { throw WireError.notAnObject(part: "header.msg_type") }
        return Message(identities: Array(frames[..<split]), header: values[0], parentHeader: values[1],
                       metadata: values[2], content: values[3], buffers: Array(rest.dropFirst(5)))
    }

    public func encode(_ message: Message) -> [[UInt8]] {
        let parts = [message.header, message.parentHeader, message.metadata, message.content].map { $0.serializedBytes() }
        return message.identities + [WireCodec.delimiter, Array(signer.signature(parts).utf8)] + parts + message.buffers
    }
}
