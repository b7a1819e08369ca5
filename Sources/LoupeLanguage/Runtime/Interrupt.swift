import Synchronization

/// One session's request to stop its running command. The kernel's
/// `interrupt_request` sets the token of its own session; loops and long
/// builtins check it between steps, so a stop never leaves a value
/// half-assigned, and a stop in one session never reaches another.
public final class InterruptToken: Sendable {
    private let flag = Atomic<Bool>(false)
    /// Tells sessions apart for the process-wide SIGINT.
    let id: Int

    private static let nextID = Atomic<Int>(1)

    public init() {
        id = InterruptToken.nextID.add(1, ordering: .relaxed).oldValue
    }

    public func request() { flag.store(true, ordering: .relaxed) }

    public func clear() {
        flag.store(false, ordering: .relaxed)
        Interrupt.clearSignal(for: self)
    }

    public var isRequested: Bool { flag.load(ordering: .relaxed) || Interrupt.signalled(self) }

    public func check() throws {
        if isRequested {
            throw LoupeError(.interrupted, "the command was interrupted; variables assigned before the interrupt keep their values")
        }
    }
}

/// SIGINT, which belongs to the whole process, reaches the session that is
/// running a cell when it arrives. The handler only stores a Bool (safe in
/// a signal handler); the running session's token reads it.
public enum Interrupt {
    private static let signal = Atomic<Bool>(false)
    /// The id of the token whose session is running a cell, 0 when none.
    private static let running = Atomic<Int>(0)

    /// Safe to call from a signal handler.
    public static func signalReceived() { signal.store(true, ordering: .relaxed) }

    package static func begin(_ token: InterruptToken) { running.store(token.id, ordering: .relaxed) }
    package static func end(_ token: InterruptToken) {
        _ = running.compareExchange(expected: token.id, desired: 0, ordering: .relaxed)
    }

    static func signalled(_ token: InterruptToken) -> Bool {
        signal.load(ordering: .relaxed) && running.load(ordering: .relaxed) == token.id
    }

    static func clearSignal(for token: InterruptToken) {
        if running.load(ordering: .relaxed) == token.id || running.load(ordering: .relaxed) == 0 {
            signal.store(false, ordering: .relaxed)
        }
    }
}
