import LoupeDatasets
import LoupeLanguage

/// A dataset's read failures are I/O errors in the language; a missing
/// attribute or value is a value error.
extension DatasetError: LanguageErrorConvertible {
    public var languageKind: LoupeError.Kind {
        switch self {
        case .unreadable: return .io
        case .invalid, .unknownAttribute: return .value
        }
    }
    public var languageMessage: String {
        if case .unknownAttribute(let name, _, let known) = self { return message(hint: nearestName(to: name, in: known)) }
        return description
    }
}
