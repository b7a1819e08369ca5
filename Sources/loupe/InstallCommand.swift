import ArgumentParser
import Foundation
import LoupeKernelSpec

struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install", abstract: "Install the Jupyter kernelspec for this loupe executable.")

    @Flag(help: "Install for the current user (the default).")
    var user = false
    @Flag(help: "Install into the active Python environment (sys.prefix).")
    var sysPrefix = false
    @Option(help: "Install under PREFIX/share/jupyter/kernels.")
    var prefix: String?

    func validate() throws {
        if [user, sysPrefix, prefix != nil].filter({ $0 }).count > 1 {
            throw ValidationError("choose one of --user, --sys-prefix and --prefix")
        }
    }

    func run() throws {
        let kernels: String
        if let prefix {
            kernels = "\(prefix)/share/jupyter/kernels"
        } else if sysPrefix {
            kernels = "\(try pythonPrefix())/share/jupyter/kernels"
        } else {
            let env = ProcessInfo.processInfo.environment
            let data = env["JUPYTER_DATA_DIR"] ?? (env["XDG_DATA_HOME"].map { "\($0)/jupyter" }
                ?? "\(NSHomeDirectory())/.local/share/jupyter")
            kernels = "\(data)/kernels"
        }
        let path = try KernelSpec.install(into: kernels, executable: executablePath())
        print("Installed the Loupe kernelspec in \(path)")
    }

    /// The absolute path of this executable, so the kernelspec keeps working
    /// from any directory.
    func executablePath() -> String {
        let resolved = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        return FileManager.default.isExecutableFile(atPath: resolved) ? resolved : CommandLine.arguments[0]
    }

    /// sys.prefix of the active environment: $VIRTUAL_ENV, else python3's.
    func pythonPrefix() throws -> String {
        if let venv = ProcessInfo.processInfo.environment["VIRTUAL_ENV"] { return venv }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sys; print(sys.prefix)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, !out.isEmpty else {
            throw ValidationError("--sys-prefix needs python3 on PATH or VIRTUAL_ENV set; use --prefix instead")
        }
        return out
    }
}
