import Foundation
import LoupeBuiltins
import LoupeLanguage

// What the language's and the builtins' tests share: a sink that records a
// cell's output, and short ways to run a cell and read how it ended.

/// Collects what a cell sends, for assertions.
package final class RecordingSink: OutputSink {
    package init() {}
    package var streams: [(text: String, error: Bool)] = []
    package var displays: [(bundle: DisplayBundle, id: String?, update: Bool)] = []
    package var clears = 0
    package func stream(_ text: String, toStandardError: Bool) { streams.append((text, toStandardError)) }
    package func display(_ bundle: DisplayBundle, id: String?, update: Bool) { displays.append((bundle, id, update)) }
    package func clearOutput(wait: Bool) { clears += 1 }
}

package func result(_ session: Session, _ code: String) -> String? {
    if case .success(let r, _) = session.run(code) { return r?.plainText }
    return nil
}

/// Presses Stop on `session` from another thread, `seconds` from now.
package func requestStop(of session: Session, after seconds: Double) {
    let token = session.interpreter.interrupt
    Thread { Thread.sleep(forTimeInterval: seconds); token.request() }.start()
}

/// Whether `code` ran without an error (a `let` has no result to compare).
package func succeeds(_ session: Session, _ code: String) -> Bool {
    if case .success = session.run(code) { return true }
    return false
}

package func failure(_ session: Session, _ code: String) -> LoupeError? {
    if case .failure(let e, _, _) = session.run(code) { return e }
    return nil
}

/// Presses Stop as soon as a progress display appears.
package final class StopOnFirstProgress: OutputSink {
    package var session: Session?
    package init() {}
    package func stream(_ text: String, toStandardError: Bool) {}
    package func display(_ bundle: DisplayBundle, id: String?, update: Bool) { if id != nil { session?.interpreter.interrupt.request() } }
    package func clearOutput(wait: Bool) {}
}

extension CellOutcome {
    package var displayed: DisplayBundle? { if case .success(let r, _) = self { return r }; return nil }
}

