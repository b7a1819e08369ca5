import LoupeBuiltins
import LoupeJSON
import LoupeKernel

/// The session's comms, made of the protocol core's. Messages from the front
/// end arrive on the shell thread, between cells; the session's widget host
/// runs them as the session's work (`WidgetHost`).
final class KernelCommHost: CommHost {
    let channel: CommChannel

    init(_ channel: CommChannel) { self.channel = channel }

    func open(target: String, data: JSON, metadata: JSON, buffers: [[UInt8]],
              receive: @escaping (JSON, [[UInt8]]) -> Void) -> CommEndpoint {
        let comm = channel.open(target: target, data: data, metadata: metadata, buffers: buffers)
        comm.onMessage = receive
        return KernelCommEndpoint(comm)
    }

    func register(target: String, opened: @escaping (CommEndpoint, JSON, [[UInt8]]) -> ((JSON, [[UInt8]]) -> Void)) {
        channel.register(target: target) { comm, data, buffers in
            comm.onMessage = opened(KernelCommEndpoint(comm), data, buffers)
        }
    }
}

final class KernelCommEndpoint: CommEndpoint {
    let comm: Comm
    init(_ comm: Comm) { self.comm = comm }
    var id: String { comm.id }
    func send(_ data: JSON, buffers: [[UInt8]]) { comm.send(data, buffers: buffers) }
    func close() { comm.close() }
}
