/// What is wrong with a safetensors file, which tensor if one, and what to do.
public struct SafetensorsError: Error, CustomStringConvertible, Sendable {
    public let file: String
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
