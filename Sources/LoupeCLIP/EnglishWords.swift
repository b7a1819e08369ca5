import Foundation

/// The 5,000 most frequent English words of three or more letters,
/// commonest first: the kind of word list Joseph et al. measure steerability
/// over. Made by dev/make_english_vocabulary.py from the `wordfreq` package;
/// its source, filter and licence (CC BY-SA 4.0) are in
/// `english-words-5000.md` beside the list. $LOUPE_ENGLISH_WORDS overrides
/// where the list is read from.
package enum EnglishWords {
    static let fileName = "english-words-5000.txt"

    /// The shipped list, one word a line.
    package static func load() throws -> [String] {
        let path = try ShippedResource.path(fileName, what: "the English word list", environment: "LOUPE_ENGLISH_WORDS")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIPError(file: path, problem: "the English word list could not be read",
                            fix: "Reinstall Loupe, or set LOUPE_ENGLISH_WORDS to a readable copy of \(fileName).")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CLIPError(file: path, problem: "the English word list is not UTF-8 text",
                            fix: "Reinstall Loupe, or set LOUPE_ENGLISH_WORDS to an intact copy of \(fileName).")
        }
        let words = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !words.isEmpty else {
            throw CLIPError(file: path, problem: "the English word list is empty",
                            fix: "Reinstall Loupe, or set LOUPE_ENGLISH_WORDS to an intact copy of \(fileName).")
        }
        return words
    }
}
