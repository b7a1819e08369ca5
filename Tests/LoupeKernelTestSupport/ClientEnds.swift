import CZMQ
import Foundation
import LoupeKernel

/// The front end's side of the five channels: raw multipart frames in and out.
package protocol ClientEnd: AnyObject {
    /// Sends the messages in order; over memory they are all queued before
    /// the kernel takes the first.
    func send(_ messages: [[[UInt8]]], on channel: KernelChannel) throws
    func receive(on channel: KernelChannel, timeoutMs: Int) throws -> [[UInt8]]?
}

/// The test's end of an `InMemoryTransport`.
package final class InMemoryClientEnd: ClientEnd {
    package let transport: InMemoryTransport
    package init(_ transport: InMemoryTransport) { self.transport = transport }

    package func send(_ messages: [[[UInt8]]], on channel: KernelChannel) throws { transport.push(messages, on: channel) }

    package func receive(on channel: KernelChannel, timeoutMs: Int) throws -> [[UInt8]]? {
        transport.take(from: channel, timeoutMs: timeoutMs)
    }
}

/// Real ZeroMQ sockets connected over loopback, as jupyter_client connects:
/// DEALER to the ROUTERs, SUB to iopub, REQ to the heartbeat.
package final class ZMQClientEnd: ClientEnd {
    package let context = ZMQContext()
    package let sockets: [KernelChannel: ZMQSocket]

    package init(ports: [KernelChannel: Int]) throws {
        let plan: [(KernelChannel, Int32)] = [
            (.shell, ZMQ_DEALER), (.control, ZMQ_DEALER), (.stdin, ZMQ_DEALER), (.iopub, ZMQ_SUB), (.heartbeat, ZMQ_REQ),
        ]
        var sockets: [KernelChannel: ZMQSocket] = [:]
        for (channel, type) in plan {
            let socket = try context.socket(type)
            if type == ZMQ_SUB { socket.setBytes(ZMQ_SUBSCRIBE, []) }
            try socket.connect("tcp://127.0.0.1:\(ports[channel]!)")
            sockets[channel] = socket
        }
        self.sockets = sockets
    }

    package func send(_ messages: [[[UInt8]]], on channel: KernelChannel) throws {
        for frames in messages { try sockets[channel]!.send(frames) }
    }

    package func receive(on channel: KernelChannel, timeoutMs: Int) throws -> [[UInt8]]? {
        try sockets[channel]!.receive(timeoutMs: timeoutMs)
    }
}
