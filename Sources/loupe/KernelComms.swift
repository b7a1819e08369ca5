import LoupeBuiltins
import LoupeJSON
import LoupeKernel
import LoupeLanguage

/// The language's comms, made of the protocol core's: what the front end
/// sends is handled as the session's work (`Session.perform`), so a widget's
/// update runs like a cell, on the shell thread, between cells.
final class KernelCommHost: CommHost {
    let kernel: Kernel
    let session: Session

    init(kernel: Kernel, session: Session) { self.kernel = kernel; self.session = session }

    func open(target: String, data: JSON, metadata: JSON, buffers: [[UInt8]],
              receive: @escaping (JSON, [[UInt8]]) -> Void) -> CommEndpoint {
        let comm = kernel.openComm(target: target, data: data, metadata: metadata, buffers: buffers)
        comm.onMessage = { [session] data, buffers in session.perform { receive(data, buffers) } }
        return KernelCommEndpoint(comm)
    }

    func register(target: String, opened: @escaping (CommEndpoint, JSON, [[UInt8]]) -> ((JSON, [[UInt8]]) -> Void)) {
        kernel.registerCommTarget(target) { [session] comm, data, buffers in
            let receive = opened(KernelCommEndpoint(comm), data, buffers)
            comm.onMessage = { data, buffers in session.perform { receive(data, buffers) } }
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
