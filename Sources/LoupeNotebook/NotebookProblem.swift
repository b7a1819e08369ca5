/// Why a file cannot be checked: each case says what is wrong in words a
/// person can act on.
package enum NotebookProblem: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case notJSON(path: String, reason: String)
    case notANotebook(path: String, reason: String)
    /// Made by another kernel (or names none): its outputs are not Loupe's to reproduce.
    case otherKernel(path: String, kernel: String)
    /// Never executed, or saved with outputs cleared: nothing to compare with.
    case noOutputs(path: String)

    package var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "\(path): cannot be read (\(reason))"
        case .notJSON(let path, let reason):
            return "\(path): is not a notebook: not JSON (\(reason))"
        case .notANotebook(let path, let reason):
            return "\(path): is not a Jupyter notebook in format 4 (\(reason))"
        case .otherKernel(let path, let kernel):
            return "\(path): was made by the kernel \(kernel), not Loupe; only a Loupe notebook can be re-run here"
        case .noOutputs(let path):
            return "\(path): has no outputs to compare with (never executed, or saved with outputs cleared); "
                + "execute it first, e.g. jupyter nbconvert --to notebook --execute"
        }
    }
}
