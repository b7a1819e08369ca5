import Foundation
import LoupeJSON

/// The connection file Jupyter writes for a kernel: where to bind and how to sign.
public struct ConnectionInfo: Sendable {
    public var transport: String
    public var ip: String
    public var shellPort: Int
    public var iopubPort: Int
    public var stdinPort: Int
    public var controlPort: Int
    public var heartbeatPort: Int
    public var key: String
    public var signatureScheme: String

    public init(transport: String = "tcp", ip: String = "127.0.0.1", shellPort: Int = 0, iopubPort: Int = 0,
                stdinPort: Int = 0, controlPort: Int = 0, heartbeatPort: Int = 0, key: String = "",
                signatureScheme: String = "hmac-sha256") {
        self.transport = transport
        self.ip = ip
        self.shellPort = shellPort
        self.iopubPort = iopubPort
        self.stdinPort = stdinPort
        self.controlPort = controlPort
        self.heartbeatPort = heartbeatPort
        self.key = key
        self.signatureScheme = signatureScheme
    }

    public static func load(path: String) throws -> ConnectionInfo {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KernelError.unreadableConnectionFile(path: path)
        }
        let json: JSON
        do { json = try JSON.parse(Array(data)) } catch {
            throw KernelError.invalidConnectionFile(path: path, reason: "\(error)")
        }
        func port(_ key: String) throws -> Int {
            guard let p = json[key]?.intValue, (0...65535).contains(p) else {
                throw KernelError.missingField(path: path, key: key)
            }
            return p
        }
        let scheme = json["signature_scheme"]?.stringValue ?? "hmac-sha256"
        guard scheme == "hmac-sha256" || (json["key"]?.stringValue ?? "").isEmpty else {
            throw KernelError.unsupportedSignatureScheme(scheme)
        }
        return ConnectionInfo(transport: json["transport"]?.stringValue ?? "tcp", ip: json["ip"]?.stringValue ?? "127.0.0.1",
                              shellPort: try port("shell_port"), iopubPort: try port("iopub_port"),
                              stdinPort: try port("stdin_port"), controlPort: try port("control_port"),
                              heartbeatPort: try port("hb_port"), key: json["key"]?.stringValue ?? "", signatureScheme: scheme)
    }

    func endpoint(_ port: Int) -> String {
        transport == "ipc" ? "ipc://\(ip)-\(port)" : "\(transport)://\(ip):\(port == 0 ? "*" : String(port))"
    }
}

/// Why the kernel cannot start from its connection file.
public enum KernelError: Error, CustomStringConvertible, Equatable {
    case unreadableConnectionFile(path: String)
    case invalidConnectionFile(path: String, reason: String)
    case missingField(path: String, key: String)
    case unsupportedSignatureScheme(String)

    public var description: String {
        switch self {
        case .unreadableConnectionFile(let path):
            "cannot read the connection file \(path); Jupyter passes it as `loupe kernel -f FILE`"
        case .invalidConnectionFile(let path, let reason): "the connection file \(path) is not valid JSON: \(reason)"
        case .missingField(let path, let key): "the connection file \(path) has no valid '\(key)'"
        case .unsupportedSignatureScheme(let scheme): "signature scheme '\(scheme)' is not supported; Loupe signs with hmac-sha256"
        }
    }
}
