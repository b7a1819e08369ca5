import CZMQ
import Foundation
import LoupeJSON
import LoupeKernel

/// A minimal Jupyter client over real ZeroMQ sockets, for driving a kernel
/// started in the test process.
final class TestClient {
    let context = ZMQContext()
    let shell: ZMQSocket
    let control: ZMQSocket
    let iopub: ZMQSocket
    let heartbeat: ZMQSocket
    let codec: WireCodec
    let session = UUID().uuidString

    init(ports: [String: Int], key: String) throws {
        codec = WireCodec(signer: Signer(key: key))
        shell = try context.socket(ZMQ_DEALER)
        control = try context.socket(ZMQ_DEALER)
        iopub = try context.socket(ZMQ_SUB)
        heartbeat = try context.socket(ZMQ_REQ)
        iopub.setBytes(ZMQ_SUBSCRIBE, [])
        try shell.connect("tcp://127.0.0.1:\(ports["shell"]!)")
        try control.connect("tcp://127.0.0.1:\(ports["control"]!)")
        try iopub.connect("tcp://127.0.0.1:\(ports["iopub"]!)")
        try heartbeat.connect("tcp://127.0.0.1:\(ports["hb"]!)")
        // Give the subscription time to reach the publisher.
        Thread.sleep(forTimeInterval: 0.2)
    }

    func request(_ type: String, _ content: JSON) -> Message {
        Message(header: Message.header(type: type, session: session), content: content)
    }

    @discardableResult
    func send(_ type: String, _ content: JSON = [:], on socket: ZMQSocket? = nil) throws -> Message {
        let message = request(type, content)
        try (socket ?? shell).send(codec.encode(message))
        return message
    }

    func reply(on socket: ZMQSocket? = nil, timeoutMs: Int = 5000) throws -> Message? {
        guard let frames = try (socket ?? shell).receive(timeoutMs: timeoutMs) else { return nil }
        return try codec.decode(frames)
    }

    /// iopub messages whose parent is `request`, up to and including its idle status.
    func outputs(of request: Message, timeoutMs: Int = 5000) throws -> [Message] {
        var collected: [Message] = []
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        while Date() < deadline {
            guard let frames = try iopub.receive(timeoutMs: 100) else { continue }
            let message = try codec.decode(frames)
            guard message.parentHeader["msg_id"]?.stringValue == request.id else { continue }
            collected.append(message)
            if message.type == "status", message.content["execution_state"]?.stringValue == "idle" { return collected }
        }
        return collected
    }
}

/// Starts a kernel on free ports with a mock interpreter.
func startKernel(key: String = "secret-key", history: HistoryStore? = nil) throws -> (Kernel, MockInterpreter, Thread) {
    let mock = MockInterpreter()
    let kernel = Kernel(connection: ConnectionInfo(key: key), interpreter: mock, historyStore: history, log: { _ in })
    try kernel.start()
    let thread = Thread { kernel.serveShell() }
    thread.start()
    return (kernel, mock, thread)
}
