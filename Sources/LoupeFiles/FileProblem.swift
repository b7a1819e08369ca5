/// A file (or input) that Loupe refuses: which file, which tensor in it if
/// any, what is wrong and what to do. Checkpoint readers (safetensors, CLIP)
/// all report in this one shape, so the language shows them alike.
package struct FileProblem: Error, CustomStringConvertible, Sendable {
    /// The file (or input) concerned.
    package let file: String
    /// The tensor concerned, when there is one.
    package let tensor: String?
    package let problem: String
    package let fix: String

    package init(file: String, tensor: String? = nil, problem: String, fix: String) {
        self.file = file; self.tensor = tensor; self.problem = problem; self.fix = fix
    }

    package var description: String {
        let what = tensor.map { "\(file): tensor '\($0)'" } ?? file
        return "\(what): \(problem). \(fix)"
    }
}
