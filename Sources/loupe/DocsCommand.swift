import ArgumentParser
import Foundation
import LoupeFiles
import LoupeBuiltins
import LoupeLanguage

struct DocsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docs", abstract: "Write the language reference, generated from the builtin registry.")

    @Option(help: "Where to write it.") var out = "docs/reference.md"

    func run() throws {
        try AtomicFile.write(Array(Reference.markdown(.standard).utf8), to: out)
        print("Wrote \(out)")
    }
}
