/// What can go wrong reading a dataset. Each message names the file or the
/// attribute and says what to do, because it reaches notebook users as is.
package enum DatasetError: Error, CustomStringConvertible, Sendable {
    /// A file or folder that is missing, unreadable or malformed.
    case unreadable(String)
    /// An attribute or value the dataset does not have.
    case invalid(String)
    /// An attribute name the dataset does not have: `subject` says whose
    /// ("CelebA", "these CelebA images"), `known` lists the ones it has, so
    /// a front end can suggest the nearest.
    case unknownAttribute(String, subject: String, known: [String])

    package var description: String { message(hint: nil) }

    /// The message, with a "did you mean" suggestion when one is given.
    package func message(hint: String?) -> String {
        switch self {
        case .unreadable(let message), .invalid(let message): return message
        case .unknownAttribute(let name, let subject, let known):
            let suggestion = hint.map { " (did you mean '\($0)'?)" } ?? ""
            let has = subject.hasPrefix("these ") ? "have" : "has"
            return "\(subject) \(has) no attribute '\(name)'\(suggestion); \(has == "have" ? "they have" : "its attributes are") "
                + known.joined(separator: ", ")
        }
    }
}
