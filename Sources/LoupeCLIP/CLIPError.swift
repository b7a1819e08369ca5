/// A checkpoint, configuration or input that Loupe's CLIP engine refuses,
/// with what went wrong and how to fix it.
public struct CLIPError: Error, CustomStringConvertible, Sendable {
    /// The file (or input) concerned.
    public let file: String
    /// The tensor concerned, when there is one.
    public let tensor: String?
    public let problem: String
    public let fix: String

    public init(file: String, tensor: String? = nil, problem: String, fix: String) {
        self.file = file; self.tensor = tensor; self.problem = problem; self.fix = fix
    }

    public var description: String {
        let what = tensor.map { "\(file): tensor '\($0)'" } ?? file
        return "\(what): \(problem). \(fix)"
    }
}
