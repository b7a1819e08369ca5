import LoupeBuiltins
import LoupeKernel

/// A Jupyter kernel running a Loupe session: the one place the protocol core,
/// the session and their comms are put together.
public enum JupyterKernel {
    /// The kernel over `transport`, with a new session whose widgets travel on
    /// the kernel's comms. `loupe kernel` serves it over ZeroMQ; the tests,
    /// over memory.
    public static func make(transport: KernelTransport, key: String, historyStore: HistoryStore? = nil,
                            log: @escaping @Sendable (String) -> Void = Kernel.standardLog) -> Kernel {
        Kernel(transport: transport, key: key, historyStore: historyStore, log: log) { channel in
            LanguageInterpreter(session: Session(comms: KernelCommHost(channel)))
        }
    }

    /// Serves `kernel`'s shell until shutdown on a thread with the session's
    /// large stack, so cells and widget updates run on it directly, with no
    /// hand-over to the session's worker.
    public static func serveShell(_ kernel: Kernel) {
        LargeStackWorker.runOnLargeStack { kernel.serveShell() }
    }
}
