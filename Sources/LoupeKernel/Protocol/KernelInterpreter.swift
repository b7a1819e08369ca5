import LoupeJSON

/// What a running command can send to the front end. The kernel implements
/// it by publishing on iopub with the request as parent.
public protocol KernelOutput: AnyObject {
    func stream(_ name: String, _ text: String)
    /// `displayID` names an output that `update` later replaces in place.
    func display(data: [String: JSON], metadata: [String: JSON], displayID: String?, update: Bool)
    func clearOutput(wait: Bool)
}

public enum ExecutionOutcome {
    case ok(result: (data: [String: JSON], metadata: [String: JSON])?, payload: [JSON])
    case error(name: String, value: String, traceback: [String], payload: [JSON])
}

public enum CompletenessStatus: Equatable {
    case complete, incomplete(indent: String), invalid, unknown
}

/// The language side of the kernel. The protocol core never looks inside:
/// tests drive it with a mock, Loupe with its command language.
public protocol KernelInterpreter: AnyObject {
    var implementation: String { get }
    var implementationVersion: String { get }
    var languageInfo: JSON { get }
    var banner: String { get }
    var helpLinks: [JSON] { get }

    func execute(_ code: String, silent: Bool, output: KernelOutput) -> ExecutionOutcome
    /// A user expression's result: `{status, data, metadata}` or an error.
    func evaluate(_ expression: String) -> JSON
    func complete(_ code: String, cursor: Int) -> (matches: [String], start: Int, end: Int)
    func inspect(_ code: String, cursor: Int, detailLevel: Int) -> [String: JSON]?
    func isComplete(_ code: String) -> CompletenessStatus
    /// Asks the running command to stop at its next check. Must be safe to
    /// call from any thread.
    func interrupt()
}
