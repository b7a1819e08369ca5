import LoupeJSON

/// A MIME bundle: what Jupyter calls `data` and `metadata` of an output.
/// `text/plain` is always present.
public struct DisplayBundle: Sendable {
    public var data: [String: JSON]
    public var metadata: [String: JSON]

    public init(text: String, data: [String: JSON] = [:], metadata: [String: JSON] = [:]) {
        self.data = data
        self.data["text/plain"] = .string(text)
        self.metadata = metadata
    }

    public var plainText: String { data["text/plain"]?.stringValue ?? "" }
}

/// Where a running cell sends what it produces. The kernel publishes these on
/// iopub; `loupe run` prints them. The language knows nothing of Jupyter.
public protocol OutputSink: AnyObject {
    func stream(_ text: String, toStandardError: Bool)
    /// `id` names a display that later updates replace in place.
    func display(_ bundle: DisplayBundle, id: String?, update: Bool)
    func clearOutput(wait: Bool)
}

/// Swallows everything: for silent execution and tests.
public final class DiscardingSink: OutputSink {
    public init() {}
    public func stream(_ text: String, toStandardError: Bool) {}
    public func display(_ bundle: DisplayBundle, id: String?, update: Bool) {}
    public func clearOutput(wait: Bool) {}
}
