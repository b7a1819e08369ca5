import Foundation
import LoupeJSON
import LoupeKernel

/// An interpreter that understands a few fixed commands, so the protocol core
/// can be tested without the command language.
final class MockInterpreter: KernelInterpreter, @unchecked Sendable {
    let implementation = "mock"
    let implementationVersion = "1.0"
    let languageInfo: JSON = ["name": "mock", "version": "1.0", "file_extension": ".mock", "mimetype": "text/plain"]
    let banner = "mock kernel"
    let helpLinks: [JSON] = []
    private let lock = NSLock()
    private var interrupted = false
    private var executedCodes: [String] = []
    private var executing = false

    /// Every code run so far, in order.
    var executed: [String] { lock.withLock { executedCodes } }
    /// Whether a code is running now.
    var running: Bool { lock.withLock { executing } }

    func execute(_ code: String, silent: Bool, output: KernelOutput) -> ExecutionOutcome {
        lock.withLock { interrupted = false; executedCodes.append(code); executing = true }
        defer { lock.withLock { executing = false } }
        switch code {
        case "fail":
            return .error(name: "MockError", value: "asked to fail", traceback: ["MockError: asked to fail"], payload: [])
        case "wait":
            // Tells the test it is running, so an interrupt sent after this
            // output is certain to find it.
            output.stream("stdout", "waiting\n")
            for _ in 0..<500 {
                if lock.withLock({ interrupted }) {
                    return .error(name: "Interrupted", value: "stopped", traceback: [], payload: [])
                }
                Thread.sleep(forTimeInterval: 0.01)
            }
            return .ok(result: nil, payload: [])
        case "page":
            return .ok(result: nil, payload: [["source": "page", "data": ["text/plain": "docs"], "start": 0]])
        default:
            output.stream("stdout", "ran \(code)\n")
            return .ok(result: (["text/plain": .string(code.uppercased())], [:]), payload: [])
        }
    }

    func evaluate(_ expression: String) -> JSON {
        ["status": "ok", "data": ["text/plain": .string(expression.uppercased())], "metadata": [:]]
    }

    func complete(_ code: String, cursor: Int) -> (matches: [String], start: Int, end: Int) {
        (["mockery", "mocking"].filter { $0.hasPrefix(code) }, 0, cursor)
    }

    func inspect(_ code: String, cursor: Int, detailLevel: Int) -> [String: JSON]? {
        code == "known" ? ["text/plain": "a known thing"] : nil
    }

    func isComplete(_ code: String) -> CompletenessStatus { code.hasSuffix("{") ? .incomplete(indent: "  ") : .complete }

    func interrupt() { lock.withLock { interrupted = true } }
}
