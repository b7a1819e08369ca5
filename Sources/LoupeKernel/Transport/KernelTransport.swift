/// The five channels of the Jupyter messaging protocol.
public enum KernelChannel: String, CaseIterable, Sendable {
    case shell, control, stdin, iopub, heartbeat
}

/// How signed multipart messages reach the kernel and leave it. The protocol
/// core (`Kernel`) speaks only to this, so it can run over ZeroMQ in a real
/// kernel and over memory in tests. Heartbeat is the transport's own business:
/// it must answer pings even while the core is busy with a long command.
public protocol KernelTransport: AnyObject, Sendable {
    /// The next multipart message on shell, control or stdin; nil when none
    /// came within `timeoutMs` (0 looks without waiting, negative waits for
    /// ever). Each channel is received on by one thread at a time.
    func receive(on channel: KernelChannel, timeoutMs: Int) throws -> [[UInt8]]?

    /// Sends one multipart message; safe from any thread, since a running
    /// command publishes on iopub from wherever its work happens.
    func send(_ frames: [[UInt8]], on channel: KernelChannel) throws

    /// Called once both loops have ended: releases the heartbeat and anything
    /// still waiting in `receive`.
    func close()
}
