import Foundation
import LoupeJSON
import LoupeKernel
import LoupeKernelTestSupport

/// A kernel with the mock interpreter, serving its shell on a thread of its
/// own, and a client connected to it over memory or over real ZeroMQ sockets.
final class KernelHarness {
    enum Wire { case memory, zeroMQ }

    let kernel: Kernel
    let mock = MockInterpreter()
    let client: TestClient
    private let shellEnded = DispatchSemaphore(value: 0)

    init(over wire: Wire = .memory, key: String = "secret-key", history: HistoryStore? = nil) throws {
        let transport: KernelTransport
        let end: ClientEnd
        switch wire {
        case .memory:
            let memory = InMemoryTransport()
            (transport, end) = (memory, InMemoryClientEnd(memory))
        case .zeroMQ:
            let zmq = try ZMQTransport(connection: ConnectionInfo(key: key))
            (transport, end) = (zmq, try ZMQClientEnd(ports: zmq.ports))
        }
        kernel = Kernel(transport: transport, key: key, interpreter: mock, historyStore: history, log: { _ in })
        client = TestClient(end, key: key)
        kernel.start()
        let kernel = kernel, shellEnded = shellEnded
        Thread {
            kernel.serveShell()
            shellEnded.signal()
        }.start()
        if wire == .zeroMQ { try awaitSubscription() }
    }

    /// A SUB socket misses what is published before its subscription reaches
    /// the PUB side, so, as jupyter_client does, ask for kernel info until
    /// its busy status shows up on iopub.
    private func awaitSubscription() throws {
        for _ in 0..<50 {
            let probe = try client.send("kernel_info_request")
            _ = try client.reply(to: probe)
            if try !client.outputs(of: probe, timeoutMs: 200).isEmpty { return }
        }
        throw HarnessError("iopub never delivered a message")
    }

    /// Whether the shell loop has returned, waiting up to `seconds`.
    func served(within seconds: Double) -> Bool {
        shellEnded.wait(timeout: .now() + seconds) == .success
    }

    func stop() { kernel.stop() }
}

/// The harness's own failures: a peer that never answered.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
