import ArgumentParser
import LoupeBenchmarks

/// `loupe`: the Jupyter kernel, its installer and the script runner.
struct Loupe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loupe",
        abstract: "Look inside CLIP's vision transformer with sparse autoencoders, from Jupyter.",
        subcommands: [KernelCommand.self, InstallCommand.self, RunCommand.self, VerifyCommand.self, ScenesCommand.self, CacheCommand.self, DocsCommand.self,
                      BenchCommand.self, ExportSAEsCommand.self])
}

Loupe.main()
