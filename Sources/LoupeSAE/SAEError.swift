/// Everything that can go wrong with an SAE says what happened and what to do
/// about it, because these messages reach notebook users directly.
public struct SAEError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
