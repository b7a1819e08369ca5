import Synchronization

/// The process-wide request to stop the running command. SIGINT and the
/// kernel's `interrupt_request` set it; loops and long builtins check it
/// between steps, so a stop never leaves a value half-assigned.
public enum Interrupt {
    static let flag = Atomic<Bool>(false)

    /// Safe to call from a signal handler.
    public static func request() { flag.store(true, ordering: .relaxed) }
    public static func clear() { flag.store(false, ordering: .relaxed) }
    public static var isRequested: Bool { flag.load(ordering: .relaxed) }

    public static func check() throws {
        if flag.load(ordering: .relaxed) {
            throw LoupeError(.interrupted, "the command was interrupted; variables assigned before the interrupt keep their values")
        }
    }
}
