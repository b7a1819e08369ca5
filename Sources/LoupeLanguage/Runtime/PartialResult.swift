/// What an interrupted long command leaves behind: the work done so far (a
/// partly trained SAE, the activations of the images done) and words for it.
/// The statement that assigns the call binds `value` and then ends the cell
/// with an `Interrupted` error that says what was kept, so a Run All stops
/// and the frontend aborts the queued cells instead of running them on a
/// half-finished result.
public struct PartialResult: Error {
    public let value: Value
    /// Where the work stopped: "stopped at step 127 of 300".
    public let progress: String
    /// What the value is: "the SAE trained so far".
    public let kept: String
    /// The call that returned it; set by the interpreter.
    package var span: SourceSpan?

    public init(_ value: Value, progress: String, kept: String) {
        self.value = value
        self.progress = progress
        self.kept = kept
    }

    /// The error that ends the cell once `name` holds the value.
    func bound(to name: String) -> LoupeError {
        LoupeError(.interrupted, "\(progress); `\(name)` holds \(kept)", at: span)
    }

    /// The error that ends the cell when nothing could hold the value: the
    /// call was part of a larger expression, or the cell's last expression.
    package func unbound(shown: Bool) -> LoupeError {
        LoupeError(.interrupted, "\(progress); \(kept) \(shown ? "is shown above but " : "")was not kept: "
                   + "assign the call (`let x = …`) to keep a partial result", at: span)
    }
}

extension CallContext {
    /// Ends the command at a Stop unless it has something to keep.
    public func checkInterruptUnless(_ hasPartialResult: Bool) throws {
        if !hasPartialResult { try checkInterrupt() }
    }

    /// The result of a long command: returned as it is, or, when the person
    /// asked to stop, thrown as a partial result to be bound and reported.
    public func finished(_ value: Value, progress: @autoclosure () -> String, kept: @autoclosure () -> String) throws -> Value {
        guard interrupted else { return value }
        throw PartialResult(value, progress: progress(), kept: kept())
    }
}
