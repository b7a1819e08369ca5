import CZMQ
import Foundation
import LoupeJSON

/// The protocol core: binds the five channels, runs heartbeat and control on
/// their own threads and the shell on the caller's, wraps every request in
/// busy/idle, and dispatches to the interpreter. Nothing here knows the
/// command language.
public final class Kernel: @unchecked Sendable {
    public let interpreter: KernelInterpreter
    let codec: WireCodec
    let connection: ConnectionInfo
    let context = ZMQContext()
    let session = UUID().uuidString.lowercased()
    let log: @Sendable (String) -> Void

    var shell: ZMQSocket!
    var control: ZMQSocket!
    var stdin: ZMQSocket!
    var iopub: ZMQSocket!
    var heartbeat: ZMQSocket!
    let iopubLock = NSLock()

    private let stateLock = NSLock()
    private var stopping = false
    private var controlDone = DispatchSemaphore(value: 0)
    private var controlStarted = false

    var executionCount = 0
    let history: History

    /// Ports actually bound (useful when the connection asked for port 0).
    public private(set) var ports: [String: Int] = [:]

    /// `historyStore`: where executed inputs persist across restarts (nil: this process only).
    public init(connection: ConnectionInfo, interpreter: KernelInterpreter, historyStore: HistoryStore? = nil,
                log: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(("[loupe] " + $0 + "\n").utf8)) }) {
        self.connection = connection
        self.interpreter = interpreter
        self.codec = WireCodec(signer: Signer(key: connection.key))
        self.log = log
        self.history = History(store: historyStore, log: log)
    }

    /// Binds every socket and starts the heartbeat and control threads.
    public func start() throws {
        shell = try bind(ZMQ_ROUTER, connection.shellPort, "shell")
        control = try bind(ZMQ_ROUTER, connection.controlPort, "control")
        stdin = try bind(ZMQ_ROUTER, connection.stdinPort, "stdin")
        iopub = try bind(ZMQ_PUB, connection.iopubPort, "iopub")
        heartbeat = try bind(ZMQ_REP, connection.heartbeatPort, "hb")
        let hb = heartbeat!
        let hbThread = Thread { runHeartbeat(hb) }
        hbThread.name = "loupe-heartbeat"
        hbThread.start()
        let controlThread = Thread { [self] in
            serve(control, channel: "control")
            controlDone.signal()
        }
        controlThread.name = "loupe-control"
        controlThread.start()
        controlStarted = true
        publish("status", ["execution_state": "starting"], parent: [:])
    }

    func bind(_ type: Int32, _ port: Int, _ name: String) throws -> ZMQSocket {
        let socket = try context.socket(type)
        // Refuse absurd messages instead of exhausting memory on them.
        socket.setInt64(ZMQ_MAXMSGSIZE, 1 << 30)
        if type == ZMQ_ROUTER { socket.setInt(ZMQ_ROUTER_HANDOVER, 1) }
        try socket.bind(connection.endpoint(port))
        if let p = Int(socket.lastEndpoint.split(separator: ":").last ?? "") { ports[name] = p }
        return socket
    }

    /// Serves the shell channel on the calling thread until a shutdown request.
    public func serveShell() {
        serve(shell, channel: "shell")
        if controlStarted { controlDone.wait() }
        // Releases the heartbeat thread from its blocking receive.
        context.shutdown()
    }

    public var isStopping: Bool { stateLock.withLock { stopping } }

    /// Stops both loops at their next poll (within about 100 ms).
    public func stop() {
        stateLock.withLock { stopping = true }
        interpreter.interrupt()
    }

    func serve(_ socket: ZMQSocket, channel: String) {
        while !isStopping {
            let frames: [[UInt8]]
            do {
                guard let received = try socket.receive(timeoutMs: 100) else { continue }
                frames = received
            } catch {
                log("\(channel): receive failed: \(error)")
                continue
            }
            handle(frames, on: socket, channel: channel)
        }
    }

    func handle(_ frames: [[UInt8]], on socket: ZMQSocket, channel: String) {
        let message: Message
        do {
            message = try codec.decode(frames)
        } catch {
            // Dropped, never executed: a bad signature may be an attack, and a
            // malformed message has no parent to answer.
            log("\(channel): dropped a message: \(error)")
            return
        }
        publish("status", ["execution_state": "busy"], parent: message.header)
        defer { publish("status", ["execution_state": "idle"], parent: message.header) }
        dispatch(message, on: socket, channel: channel)
    }

    func dispatch(_ message: Message, on socket: ZMQSocket, channel: String) {
        switch message.type {
        case "kernel_info_request": reply(message, on: socket, "kernel_info_reply", kernelInfo())
        case "execute_request": execute(message, on: socket)
        case "complete_request": reply(message, on: socket, "complete_reply", complete(message.content))
        case "inspect_request": reply(message, on: socket, "inspect_reply", inspect(message.content))
        case "is_complete_request": reply(message, on: socket, "is_complete_reply", isComplete(message.content))
        case "history_request":
            reply(message, on: socket, "history_reply", ["status": "ok", "history": .array(history.reply(message.content))])
        case "comm_info_request": reply(message, on: socket, "comm_info_reply", ["status": "ok", "comms": [:]])
        case "comm_open":
            // No comm targets are registered: close it at once, as the spec asks.
            if let id = message.content["comm_id"] {
                publish("comm_close", ["comm_id": id, "data": [:]], parent: message.header)
            }
        case "comm_msg", "comm_close": break
        case "interrupt_request":
            interpreter.interrupt()
            reply(message, on: socket, "interrupt_reply", ["status": "ok"])
        case "shutdown_request":
            let restart = message.content["restart"]?.boolValue ?? false
            let content: JSON = ["status": "ok", "restart": .bool(restart)]
            reply(message, on: socket, "shutdown_reply", content)
            publish("shutdown_reply", content, parent: message.header)
            stop()
        default:
            log("\(channel): ignored a message of unknown type '\(message.type)'")
        }
    }

    // MARK: replies

    func reply(_ request: Message, on socket: ZMQSocket, _ type: String, _ content: JSON) {
        let message = Message(identities: request.identities, header: Message.header(type: type, session: session),
                              parentHeader: request.header, content: content)
        do { try socket.send(codec.encode(message)) } catch { log("could not send \(type): \(error)") }
    }

    /// Publishes on iopub; safe from any thread.
    func publish(_ type: String, _ content: JSON, parent: JSON, metadata: JSON = [:]) {
        let message = Message(identities: [Array("kernel.\(session).\(type)".utf8)],
                              header: Message.header(type: type, session: session),
                              parentHeader: parent, metadata: metadata, content: content)
        let frames = codec.encode(message)
        iopubLock.withLock {
            do { try iopub.send(frames) } catch { log("could not publish \(type): \(error)") }
        }
    }

    func kernelInfo() -> JSON {
        [
            "status": "ok",
            "protocol_version": .string(KernelInfo.protocolVersion),
            "implementation": .string(interpreter.implementation),
            "implementation_version": .string(interpreter.implementationVersion),
            "language_info": interpreter.languageInfo,
            "banner": .string(interpreter.banner),
            "help_links": .array(interpreter.helpLinks),
            "debugger": false,
        ]
    }

    func complete(_ content: JSON) -> JSON {
        let code = content["code"]?.stringValue ?? ""
        let cursor = content["cursor_pos"]?.intValue ?? code.unicodeScalars.count
        let c = interpreter.complete(code, cursor: cursor)
        return ["status": "ok", "matches": .array(c.matches.map(JSON.string)), "cursor_start": .int(c.start),
                "cursor_end": .int(c.end), "metadata": [:]]
    }

    func inspect(_ content: JSON) -> JSON {
        let code = content["code"]?.stringValue ?? ""
        let cursor = content["cursor_pos"]?.intValue ?? code.unicodeScalars.count
        let data = interpreter.inspect(code, cursor: cursor, detailLevel: content["detail_level"]?.intValue ?? 0)
        return ["status": "ok", "found": .bool(data != nil), "data": .object(data ?? [:]), "metadata": [:]]
    }

    func isComplete(_ content: JSON) -> JSON {
        switch interpreter.isComplete(content["code"]?.stringValue ?? "") {
        case .complete: return ["status": "complete"]
        case .incomplete(let indent): return ["status": "incomplete", "indent": .string(indent)]
        case .invalid: return ["status": "invalid"]
        case .unknown: return ["status": "unknown"]
        }
    }
}
