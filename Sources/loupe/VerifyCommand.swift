import ArgumentParser
import Foundation
import LoupeBuiltins
import LoupeKernel
import LoupeLanguage
import LoupeNotebook

/// `loupe verify notebook.ipynb`: re-runs a notebook in a fresh session, as
/// the kernel would, and compares every output with the stored one; exit 1
/// when anything drifted, so CI can gate on a notebook reproducing.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-run an executed notebook and compare every output with the stored one.",
        discussion: """
            Tables and numbers compare within a relative tolerance, pictures by their pixels, words exactly; \
            progress displays, whose presence and text are timings, are left out. The tolerances follow the notebook's provenance: \
            tight when it was made on this CPU with these BLAS kernels and threads, else what two OpenBLAS cores \
            were measured to differ by (docs/reproducibility.md). Prints what drifted and where. Exit status: 0 \
            reproduced, 1 drifted, 2 not a notebook that can be checked (unreadable, another kernel's, or without outputs).
            """)

    enum Profile: String, ExpressibleByArgument, CaseIterable {
        case auto, sameMachine = "same-machine", acrossMachines = "across-machines"
    }

    @ArgumentParser.Argument(help: "An executed Loupe notebook (.ipynb).")
    var notebook: String
    @Option(help: "Which tolerances: auto (from the provenance), same-machine or across-machines.")
    var tolerances: Profile = .auto
    @Option(help: "Relative tolerance for numbers in tables and text (overrides the profile's).")
    var relative: Double?
    @Option(help: "Absolute tolerance for numbers near zero (overrides the profile's).")
    var absolute: Double?
    @Option(help: "A pixel differs when a channel differs by more than this many levels, 0-255 (overrides the profile's).")
    var pixelLevel: Int?
    @Option(help: "A picture drifted when more than this share of its pixels differ, 0-1 (overrides the profile's).")
    var pixelShare: Double?
    @Flag(help: "Also list what moved within tolerance.")
    var all = false

    func validate() throws {
        for value in [relative, absolute, pixelShare].compactMap({ $0 }) where !(value.isFinite && value >= 0) {
            throw ValidationError("tolerances must be finite and not negative, got \(value)")
        }
        if let pixelShare, pixelShare > 1 { throw ValidationError("--pixel-share is a share between 0 and 1, got \(pixelShare)") }
        if let pixelLevel, !(0...255).contains(pixelLevel) { throw ValidationError("--pixel-level is between 0 and 255, got \(pixelLevel)") }
    }

    func run() throws {
        let loaded: Notebook
        do { loaded = try Notebook.read(notebook) } catch {
            FileHandle.standardError.write(Data("loupe verify: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let session = Session()
        let machine = session.provenance.json(version: KernelInfo.version)
        var (chosen, why) = Tolerances.chosen(stored: loaded.provenance, now: machine)
        switch tolerances {
        case .auto: break
        case .sameMachine: (chosen, why) = (.sameMachine, "asked for")
        case .acrossMachines: (chosen, why) = (.acrossMachines, "asked for")
        }
        if let relative { chosen.relative = relative }
        if let absolute { chosen.absolute = absolute }
        if let pixelLevel { chosen.pixelLevel = pixelLevel }
        if let pixelShare { chosen.pixelShare = pixelShare }
        signal(SIGINT) { _ in Interrupt.signalReceived() }
        let started = Date()
        let report = NotebookVerification.verify(loaded, tolerances: chosen) { code, recorder in
            session.output = recorder
            defer { session.output = DiscardingSink() }
            switch session.run(code, color: false) {
            case .success(let result, _):
                if let result { recorder.result(result) }
            case .failure(let error, let traceback, _):
                if error.kind == .interrupted { return .stopped }
                recorder.error(name: error.kind.rawValue, value: error.message, traceback: traceback)
            }
            return .finished
        }
        print(VerifyReportText.render(report, notebook: loaded, tolerances: chosen, why: why, listMoves: all,
                                      seconds: Date().timeIntervalSince(started),
                                      now: session.provenance.json(version: KernelInfo.version)))
        if !report.reproduced { throw ExitCode(1) }
    }
}
