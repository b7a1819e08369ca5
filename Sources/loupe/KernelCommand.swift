import ArgumentParser
import Foundation
import LoupeKernel
import LoupeJupyter
import LoupeLanguage

struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel", abstract: "Run the Jupyter kernel (Jupyter starts this from the kernelspec).")

    @Option(name: [.customShort("f"), .customLong("connection-file")], help: "The connection file Jupyter wrote.")
    var connectionFile: String

    func run() throws {
        let info = try ConnectionInfo.load(path: connectionFile)
        let transport = try ZMQTransport(connection: info)
        let kernel = JupyterKernel.make(transport: transport, key: info.key, historyStore: HistoryStore.standard())
        // SIGINT stops the running command at its next check; the session stays.
        signal(SIGINT) { _ in Interrupt.signalReceived() }
        kernel.start()
        // If a shutdown arrives while a command ignores the interrupt, leave anyway.
        let watchdog = Thread {
            while !kernel.isStopping { Thread.sleep(forTimeInterval: 0.1) }
            Thread.sleep(forTimeInterval: 3)
            Foundation.exit(0)
        }
        watchdog.start()
        JupyterKernel.serveShell(kernel)
    }
}
