import Foundation
import LoupeLanguage
import LoupeProvenance

/// What running a cell produced.
public enum CellOutcome {
    /// Ran to the end; `result` is the last expression's display, if any.
    case success(result: DisplayBundle?, pages: [DisplayBundle])
    /// Stopped with an error; `traceback` has the caret lines.
    case failure(error: LoupeError, traceback: [String], pages: [DisplayBundle])
}

/// One resident session: the interpreter and everything the cells defined.
/// The kernel and `loupe run` both drive it through this type.
public final class Session {
    public let interpreter: Interpreter
    /// The files the cells loaded and the seeds they drew with, for the
    /// record an executed notebook keeps of how it was made.
    package let provenance = ProvenanceLog()
    /// The long-lived large-stack thread that runs cells and widget updates
    /// arriving from a thread without a large stack of its own.
    private let worker = LargeStackWorker(stackSize: Session.stackSize)

    /// `comms`: the front end's comms, when a kernel runs the session; the
    /// session's widgets travel on them. Everything is made here, once.
    public init(output: OutputSink = DiscardingSink(), registry: Registry = .standard, comms: CommHost? = nil) {
        // The widgets' host runs what the front end sends as this session's
        // work; the session does not exist yet, so it is reached through a
        // box filled before `init` returns.
        let box = WeakSession()
        let widgets = WidgetHost(comms: comms) { body in box.session?.perform(body) }
        interpreter = Interpreter(registry: registry, output: output, services: [widgets, provenance])
        box.session = self
    }

    public var output: OutputSink {
        get { interpreter.output }
        set { interpreter.output = newValue }
    }

    /// Runs a cell. Errors never escape: they come back as a failure with a
    /// traceback, and the session keeps every variable it had.
    public func run(_ code: String, color: Bool = true) -> CellOutcome {
        onLargeStack { self.runHere(code, color: color) }
    }

    /// A cell's parsing and evaluation recurse as deep as its code nests.
    /// They run on a thread with a stack far larger than the depth limits
    /// need, whatever thread the host calls from (the kernel's shell thread,
    /// a test's worker), so the limits, not the stack, bound them.
    package static let stackSize = 512 << 20

    func onLargeStack<T>(_ body: @escaping () -> T) -> T { worker.run(body) }

    func runHere(_ code: String, color: Bool) -> CellOutcome {
        let token = interpreter.interrupt
        token.clear()
        Interrupt.begin(token)
        defer { Interrupt.end(token) }
        do {
            let value = try interpreter.run(code)
            return .success(result: value.isVoid ? nil : value.display(), pages: interpreter.pages)
        } catch let partial as PartialResult {
            // The cell's last expression (or one inside a larger one): nothing
            // can hold the value, so show it before the error says so.
            let shown = partial.span != nil && partial.span == interpreter.lastExpressionSpan
            if shown { interpreter.output.display(partial.value.display(), id: nil, update: false) }
            let error = partial.unbound(shown: shown)
            return .failure(error: error, traceback: Diagnostics.traceback(error, source: interpreter.source, color: color),
                            pages: interpreter.pages)
        } catch let error as LoupeError {
            return .failure(error: error, traceback: Diagnostics.traceback(error, source: interpreter.source, color: color),
                            pages: interpreter.pages)
        } catch {
            let e = LoupeError(error, at: nil)
            return .failure(error: e, traceback: Diagnostics.traceback(e, source: interpreter.source, color: color), pages: interpreter.pages)
        }
    }

    /// Runs work the front end asked for between cells (a widget's update)
    /// as a cell runs: on the worker, answering Stop, with `output` as the
    /// sink. A Stop that came since the last piece of work stops this one
    /// and is then spent, so the next change runs. The work catches its own
    /// errors.
    public func perform(output: OutputSink = DiscardingSink(), _ body: @escaping () -> Void) {
        onLargeStack {
            let token = self.interpreter.interrupt
            Interrupt.begin(token)
            defer { Interrupt.end(token); token.clear() }
            let saved = self.interpreter.output
            self.interpreter.output = output
            defer { self.interpreter.output = saved }
            body()
        }
    }

    /// Evaluates one expression quietly, for `user_expressions`.
    public func evaluate(_ expression: String) -> Result<DisplayBundle, LoupeError> {
        let saved = interpreter.output
        interpreter.output = DiscardingSink()
        defer { interpreter.output = saved }
        switch run(expression, color: false) {
        case .success(let result, _): return .success(result ?? DisplayBundle(text: ""))
        case .failure(let error, _, _): return .failure(error)
        }
    }

    public func complete(_ code: String, cursor: Int) -> Completion { interpreter.complete(code, cursor: cursor) }
    public func inspect(_ code: String, cursor: Int) -> DisplayBundle? { interpreter.inspect(code, cursor: cursor) }
    public func completeness(of code: String) -> Completeness { Interpreter.completeness(of: code) }
}

/// How the widgets' host, made before its session, reaches it.
private final class WeakSession {
    weak var session: Session?
}
