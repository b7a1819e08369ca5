import LoupeJSON
import LoupeKernel
import LoupeBuiltins
import LoupeLanguage
import LoupeTensor

/// Connects the command language to the protocol core, which knows only
/// `KernelInterpreter`; this is the one place the two meet.
final class LanguageInterpreter: KernelInterpreter {
    let session: Session

    init(session: Session = Session()) { self.session = session }

    var implementation: String { "loupe" }
    var implementationVersion: String { KernelInfo.version }
    var languageInfo: JSON { KernelInfo.languageInfo }
    var banner: String { KernelInfo.banner + "\nComputing with \(BLASRuntime.description)." }
    /// No hosted documentation yet; docs/reference.md ships with the source.
    var helpLinks: [JSON] { [] }

    func execute(_ code: String, silent: Bool, output: KernelOutput) -> ExecutionOutcome {
        session.output = OutputBridge(output)
        defer { session.output = DiscardingSink() }
        switch session.run(code) {
        case .success(let result, let pages):
            return .ok(result: result.map { ($0.data, $0.metadata) }, payload: pages.map(Self.page))
        case .failure(let error, let traceback, let pages):
            return .error(name: error.kind.rawValue, value: error.message, traceback: traceback, payload: pages.map(Self.page))
        }
    }

    static func page(_ bundle: DisplayBundle) -> JSON {
        ["source": "page", "data": .object(bundle.data), "start": 0]
    }

    func evaluate(_ expression: String) -> JSON {
        switch session.evaluate(expression) {
        case .success(let bundle):
            return ["status": "ok", "data": .object(bundle.data), "metadata": .object(bundle.metadata)]
        case .failure(let error):
            return ["status": "error", "ename": .string(error.kind.rawValue), "evalue": .string(error.message), "traceback": []]
        }
    }

    func complete(_ code: String, cursor: Int) -> (matches: [String], start: Int, end: Int) {
        let c = session.complete(code, cursor: cursor)
        return (c.matches, c.start, c.end)
    }

    func inspect(_ code: String, cursor: Int, detailLevel: Int) -> [String: JSON]? {
        session.inspect(code, cursor: cursor)?.data
    }

    func isComplete(_ code: String) -> CompletenessStatus {
        switch session.completeness(of: code) {
        case .complete: return .complete
        case .incomplete(let indent): return .incomplete(indent: indent)
        case .invalid: return .invalid
        }
    }

    func interrupt() { session.interpreter.interrupt.request() }
}

/// Forwards the language's output events to the kernel's publisher.
final class OutputBridge: OutputSink {
    let target: KernelOutput
    init(_ target: KernelOutput) { self.target = target }

    func stream(_ text: String, toStandardError: Bool) { target.stream(toStandardError ? "stderr" : "stdout", text) }
    func display(_ bundle: DisplayBundle, id: String?, update: Bool) {
        target.display(data: bundle.data, metadata: bundle.metadata, displayID: id, update: update)
    }
    func clearOutput(wait: Bool) { target.clearOutput(wait: wait) }
}
