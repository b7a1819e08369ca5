import LoupeJSON
import LoupeKernel
import LoupeBuiltins
import LoupeLanguage
import LoupeProvenance
import LoupeTensor

/// Connects the command language to the protocol core, which knows only
/// `KernelInterpreter`; this is the one place the two meet.
public final class LanguageInterpreter: KernelInterpreter {
    public let session: Session

    public init(session: Session = Session()) { self.session = session }

    public var implementation: String { "loupe" }
    public var implementationVersion: String { KernelInfo.version }
    public var languageInfo: JSON { KernelInfo.languageInfo }
    public var banner: String { KernelInfo.banner + "\nComputing with \(BLASRuntime.description)." }
    /// No hosted documentation yet; docs/reference.md ships with the source.
    public var helpLinks: [JSON] { [] }

    public func execute(_ code: String, silent: Bool, output: KernelOutput) -> ExecutionOutcome {
        session.output = OutputBridge(output)
        defer { session.output = DiscardingSink() }
        switch session.run(code) {
        case .success(let result, let pages):
            return .ok(result: result.map { ($0.data, Self.withProvenance($0.metadata, session.provenance)) },
                       payload: pages.map(Self.page))
        case .failure(let error, let traceback, let pages):
            return .error(name: error.kind.rawValue, value: error.message, traceback: traceback, payload: pages.map(Self.page))
        }
    }

    /// A cell's result carries the session's provenance so far in its
    /// metadata, which Jupyter front ends and nbclient save with the output:
    /// the notebook keeps how it was made without a kernel being able to
    /// write notebook metadata (docs/reproducibility.md).
    static func withProvenance(_ metadata: [String: JSON], _ log: ProvenanceLog) -> [String: JSON] {
        var metadata = metadata
        var loupe = metadata["loupe"]?.objectValue ?? [:]
        loupe["provenance"] = log.json(version: KernelInfo.version)
        metadata["loupe"] = .object(loupe)
        return metadata
    }

    static func page(_ bundle: DisplayBundle) -> JSON {
        ["source": "page", "data": .object(bundle.data), "start": 0]
    }

    public func evaluate(_ expression: String) -> JSON {
        switch session.evaluate(expression) {
        case .success(let bundle):
            return ["status": "ok", "data": .object(bundle.data), "metadata": .object(bundle.metadata)]
        case .failure(let error):
            return ["status": "error", "ename": .string(error.kind.rawValue), "evalue": .string(error.message), "traceback": []]
        }
    }

    public func complete(_ code: String, cursor: Int) -> (matches: [String], start: Int, end: Int) {
        let c = session.complete(code, cursor: cursor)
        return (c.matches, c.start, c.end)
    }

    public func inspect(_ code: String, cursor: Int, detailLevel: Int) -> [String: JSON]? {
        session.inspect(code, cursor: cursor)?.data
    }

    public func isComplete(_ code: String) -> CompletenessStatus {
        switch session.completeness(of: code) {
        case .complete: return .complete
        case .incomplete(let indent): return .incomplete(indent: indent)
        case .invalid: return .invalid
        }
    }

    public func interrupt() { session.interpreter.interrupt.request() }
}

/// Forwards the language's output events to the kernel's publisher.
final class OutputBridge: OutputSink {
    let target: KernelOutput
    init(_ target: KernelOutput) { self.target = target }

    public func stream(_ text: String, toStandardError: Bool) { target.stream(toStandardError ? "stderr" : "stdout", text) }
    public func display(_ bundle: DisplayBundle, id: String?, update: Bool) {
        target.display(data: bundle.data, metadata: bundle.metadata, displayID: id, update: update)
    }
    public func clearOutput(wait: Bool) { target.clearOutput(wait: wait) }
}
