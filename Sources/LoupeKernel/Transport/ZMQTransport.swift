import CZMQ
import Foundation

/// The transport of a real kernel: the sockets Jupyter's connection file names,
/// shell, control and stdin as ROUTER, iopub as PUB, and a REP heartbeat that
/// echoes on its own thread, so a long command never makes the kernel look dead.
package final class ZMQTransport: KernelTransport, @unchecked Sendable {
    private let context = ZMQContext()
    private let sockets: [KernelChannel: ZMQSocket]
    /// A libzmq socket is not thread-safe; sends from several threads take turns.
    private let sendLocks: [KernelChannel: NSLock]

    /// Ports actually bound (useful when the connection asked for port 0).
    package let ports: [KernelChannel: Int]

    /// Binds every socket and starts the heartbeat.
    package init(connection: ConnectionInfo) throws {
        let plan: [(KernelChannel, Int32, Int)] = [
            (.shell, ZMQ_ROUTER, connection.shellPort), (.control, ZMQ_ROUTER, connection.controlPort),
            (.stdin, ZMQ_ROUTER, connection.stdinPort), (.iopub, ZMQ_PUB, connection.iopubPort),
            (.heartbeat, ZMQ_REP, connection.heartbeatPort),
        ]
        var sockets: [KernelChannel: ZMQSocket] = [:]
        var ports: [KernelChannel: Int] = [:]
        for (channel, type, port) in plan {
            let socket = try context.socket(type)
            // Refuse absurd messages instead of exhausting memory on them.
            socket.setInt64(ZMQ_MAXMSGSIZE, 1 << 30)
            if type == ZMQ_ROUTER { socket.setInt(ZMQ_ROUTER_HANDOVER, 1) }
            try socket.bind(connection.endpoint(port))
            if let p = Int(socket.lastEndpoint.split(separator: ":").last ?? "") { ports[channel] = p }
            sockets[channel] = socket
        }
        self.sockets = sockets
        self.ports = ports
        sendLocks = Dictionary(uniqueKeysWithValues: KernelChannel.allCases.map { ($0, NSLock()) })

        let heartbeat = sockets[.heartbeat]!
        let thread = Thread { Self.echo(heartbeat) }
        thread.name = "loupe-heartbeat"
        thread.start()
    }

    package func receive(on channel: KernelChannel, timeoutMs: Int) throws -> [[UInt8]]? {
        try sockets[channel]!.receive(timeoutMs: timeoutMs)
    }

    package func send(_ frames: [[UInt8]], on channel: KernelChannel) throws {
        try sendLocks[channel]!.withLock { try sockets[channel]!.send(frames) }
    }

    /// Makes the heartbeat's blocking receive return, so its thread ends; the
    /// sockets close when the last reference to this transport goes.
    package func close() { context.shutdown() }

    /// Echoes every ping until the context shuts down.
    private static func echo(_ heartbeat: ZMQSocket) {
        while true {
            do {
                guard let ping = try heartbeat.receive() else { continue }
                try heartbeat.send(ping)
            } catch {
                return
            }
        }
    }
}
