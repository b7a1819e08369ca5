import Foundation

/// A transport held in memory, whose other end a test drives: it pushes
/// signed multipart messages onto shell, control or stdin and takes what the
/// kernel sends. Frames pass untouched in both directions, so the kernel's
/// wire encoding and signatures are exercised exactly as over ZeroMQ.
///
/// Unlike a ZeroMQ PUB socket, iopub keeps every message until it is taken,
/// so a test never misses output that was published before it looked.
package final class InMemoryTransport: KernelTransport, @unchecked Sendable {
    /// One direction of one channel.
    private struct Lane: Hashable {
        let channel: KernelChannel
        let toKernel: Bool
    }

    private let condition = NSCondition()
    private var queues: [Lane: [[[UInt8]]]] = [:]
    private var closed = false

    package init() {}

    // MARK: the kernel's end

    package func receive(on channel: KernelChannel, timeoutMs: Int) throws -> [[UInt8]]? {
        dequeue(Lane(channel: channel, toKernel: true), timeoutMs: timeoutMs)
    }

    package func send(_ frames: [[UInt8]], on channel: KernelChannel) throws {
        enqueue([frames], Lane(channel: channel, toKernel: false))
    }

    package func close() {
        condition.withLock {
            closed = true
            condition.broadcast()
        }
    }

    // MARK: the test's end

    /// Queues messages for the kernel in one step, so they are all waiting
    /// before the kernel takes the first: a test can put requests behind a
    /// failing one without relying on how long it runs. A ping on heartbeat
    /// comes straight back, as the ZeroMQ transport's echo does.
    package func push(_ messages: [[[UInt8]]], on channel: KernelChannel) {
        enqueue(messages, Lane(channel: channel, toKernel: channel != .heartbeat))
    }

    package func push(_ frames: [[UInt8]], on channel: KernelChannel) { push([frames], on: channel) }

    /// The oldest message the kernel sent on `channel` not yet taken, waiting
    /// up to `timeoutMs` for one.
    package func take(from channel: KernelChannel, timeoutMs: Int) -> [[UInt8]]? {
        dequeue(Lane(channel: channel, toKernel: false), timeoutMs: timeoutMs)
    }

    // MARK: queues

    private func enqueue(_ messages: [[[UInt8]]], _ lane: Lane) {
        condition.withLock {
            queues[lane, default: []].append(contentsOf: messages)
            condition.broadcast()
        }
    }

    /// What was queued before `close` is still delivered; after it, an empty
    /// lane answers at once instead of waiting.
    private func dequeue(_ lane: Lane, timeoutMs: Int) -> [[UInt8]]? {
        let deadline = timeoutMs < 0 ? Date.distantFuture : Date().addingTimeInterval(Double(timeoutMs) / 1000)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if queues[lane]?.isEmpty == false { return queues[lane]!.removeFirst() }
            if closed || Date() >= deadline { return nil }
            _ = condition.wait(until: deadline)
        }
    }
}
