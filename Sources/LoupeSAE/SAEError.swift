/// Everything that can go wrong with an SAE says what happened and what to do
/// about it, because these messages reach notebook users directly.
package struct SAEError: Error, CustomStringConvertible, Sendable {
    package let message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}
