import Foundation
import LoupeJSON

/// The protocol core: runs control on its own thread and the shell on the
/// caller's, wraps every request in busy/idle, and dispatches to the
/// interpreter. It reaches the front end only through a `KernelTransport`,
/// and nothing here knows the command language.
public final class Kernel: @unchecked Sendable {
    /// Set once, in `init`: the interpreter may be made from the kernel's own
    /// comms (`init(..., interpreter: (CommChannel) -> KernelInterpreter)`).
    public private(set) var interpreter: KernelInterpreter!
    let transport: KernelTransport
    let codec: WireCodec
    let session = UUID().uuidString.lowercased()
    let log: @Sendable (String) -> Void

    private let stateLock = NSLock()
    private var stopping = false
    private var controlDone = DispatchSemaphore(value: 0)
    private var controlStarted = false

    var executionCount = 0
    let history: History
    let comms = CommRegistry()
    private var parent: JSON = [:]
    /// The header of the shell request being served: the parent of what a
    /// comm publishes, so the front end ties it to that request.
    var currentParent: JSON {
        get { stateLock.withLock { parent } }
        set { stateLock.withLock { parent = newValue } }
    }

    /// `key` signs and checks every message (empty: unsigned, as the spec allows).
    /// `historyStore`: where executed inputs persist across restarts (nil: this process only).
    public convenience init(transport: KernelTransport, key: String, interpreter: KernelInterpreter, historyStore: HistoryStore? = nil,
                            log: @escaping @Sendable (String) -> Void = Kernel.standardLog) {
        self.init(transport: transport, key: key, historyStore: historyStore, log: log) { _ in interpreter }
    }

    /// A kernel whose interpreter is made from the kernel's comms, so that
    /// everything is built here, once, and nothing is wired afterwards.
    public init(transport: KernelTransport, key: String, historyStore: HistoryStore? = nil,
                log: @escaping @Sendable (String) -> Void = Kernel.standardLog,
                interpreter make: (CommChannel) -> KernelInterpreter) {
        self.transport = transport
        self.codec = WireCodec(signer: Signer(key: key))
        self.log = log
        self.history = History(store: historyStore, log: log)
        self.interpreter = make(CommChannel(kernel: self))
    }

    public static let standardLog: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(("[loupe] " + $0 + "\n").utf8)) }

    /// Starts the control thread and announces the kernel on iopub.
    public func start() {
        let controlThread = Thread { [self] in
            serve(.control)
            controlDone.signal()
        }
        controlThread.name = "loupe-control"
        controlThread.start()
        controlStarted = true
        publish("status", ["execution_state": "starting"], parent: [:])
    }

    /// Serves the shell channel on the calling thread until a shutdown request.
    public func serveShell() {
        serve(.shell)
        if controlStarted { controlDone.wait() }
        transport.close()
    }

    public var isStopping: Bool { stateLock.withLock { stopping } }

    /// Stops both loops at their next poll (within about 100 ms).
    public func stop() {
        stateLock.withLock { stopping = true }
        interpreter.interrupt()
    }

    func serve(_ channel: KernelChannel) {
        while !isStopping {
            let frames: [[UInt8]]
            do {
                guard let received = try transport.receive(on: channel, timeoutMs: 100) else { continue }
                frames = received
            } catch {
                log("\(channel): receive failed: \(error)")
                continue
            }
            handle(frames, on: channel)
        }
    }

    func handle(_ frames: [[UInt8]], on channel: KernelChannel) {
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
        if channel == .shell { currentParent = message.header }
        dispatch(message, on: channel)
    }

    func dispatch(_ message: Message, on channel: KernelChannel) {
        switch message.type {
        case "kernel_info_request": reply(message, on: channel, "kernel_info_reply", kernelInfo())
        case "execute_request": execute(message, on: channel)
        case "complete_request": reply(message, on: channel, "complete_reply", complete(message.content))
        case "inspect_request": reply(message, on: channel, "inspect_reply", inspect(message.content))
        case "is_complete_request": reply(message, on: channel, "is_complete_reply", isComplete(message.content))
        case "history_request":
            reply(message, on: channel, "history_reply", ["status": "ok", "history": .array(history.reply(message.content))])
        case "comm_info_request":
            reply(message, on: channel, "comm_info_reply",
                  ["status": "ok", "comms": comms.info(target: message.content["target_name"]?.stringValue)])
        case "comm_open": commOpen(message)
        case "comm_msg": commMessage(message)
        case "comm_close": commClose(message)
        case "interrupt_request":
            interpreter.interrupt()
            reply(message, on: channel, "interrupt_reply", ["status": "ok"])
        case "shutdown_request":
            let restart = message.content["restart"]?.boolValue ?? false
            let content: JSON = ["status": "ok", "restart": .bool(restart)]
            reply(message, on: channel, "shutdown_reply", content)
            publish("shutdown_reply", content, parent: message.header)
            stop()
        default:
            log("\(channel): ignored a message of unknown type '\(message.type)'")
        }
    }

    // MARK: replies

    func reply(_ request: Message, on channel: KernelChannel, _ type: String, _ content: JSON) {
        let message = Message(identities: request.identities, header: Message.header(type: type, session: session),
                              parentHeader: request.header, content: content)
        do { try transport.send(codec.encode(message), on: channel) } catch { log("could not send \(type): \(error)") }
    }

    /// Publishes on iopub; safe from any thread.
    func publish(_ type: String, _ content: JSON, parent: JSON, metadata: JSON = [:], buffers: [[UInt8]] = []) {
        let message = Message(identities: [Array("kernel.\(session).\(type)".utf8)],
                              header: Message.header(type: type, session: session),
                              parentHeader: parent, metadata: metadata, content: content, buffers: buffers)
        do { try transport.send(codec.encode(message), on: .iopub) } catch { log("could not publish \(type): \(error)") }
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
