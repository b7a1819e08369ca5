import Foundation
import LoupeCLIP
import LoupeLanguage
import LoupeToyWorld

/// Word lists for steerability and zero-shot work, by name or from a file, so
/// a notebook does not paste 5,000 words: `vocabulary(.english)` is Joseph et
/// al.'s kind of vocabulary, the commonest English words.
enum Vocabularies {
    static let choices = [
        Choice("english", "the 5,000 most frequent English words of three or more letters, from wordfreq (CC BY-SA 4.0): "
               + "the kind of list Joseph et al. used"),
        Choice("clipTokens", "whole-word tokens of CLIP's BPE vocabulary (lowercase letters, three or more), in merge order: "
               + "tokenizer entries, not a dictionary, so some of them are word fragments (\"ing\", \"ers\")"),
        Choice("scenes", "the toy world's words: every shape, colour, size, position and background, and the drawn words"),
    ]

    /// The most words a list may hold, from a name's `count:` or a file.
    static let maxWords = 100_000
    /// The largest word-list file read: 100,000 long words fit well within it.
    static let maxFileBytes = 10_000_000

    /// The shipped English list and the tokenizer's word list, each read once per process.
    static let englishWords: Result<[String], Error> = Result { try EnglishWords.load() }
    static let clipWords: Result<[String], Error> = Result { try CLIPTokenizer.standard().commonWords }

    static var sceneWords: [String] {
        var seen = Set<String>(), out: [String] = []
        for attribute in ["shape", "colour", "size", "position", "background"] {
            for v in SceneVocabulary.values(of: attribute) ?? [] where seen.insert(v).inserted { out.append(v) }
        }
        for w in SceneVocabulary.words where seen.insert(w).inserted { out.append(w) }
        return out
    }

    /// A word list of one's own: one word (or phrase) a line, trimmed; no
    /// empty lines, no repeats, at most `maxWords` words in `maxFileBytes`.
    static func read(file path: String, _ ctx: CallContext) throws -> [String] {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ctx.valueError("file", "no word list at '\(path)': check the path (a relative path starts in "
                                 + "\(fm.currentDirectoryPath))")
        }
        guard !isDirectory.boolValue else {
            throw ctx.valueError("file", "'\(path)' is a folder: give the path of a text file with one word on each line")
        }
        // Bound the work before reading: the size from the file system, not the file.
        guard let attributes = try? fm.attributesOfItem(atPath: path), let size = byteCount(attributes[.size]) else {
            throw ctx.valueError("file", "'\(path)' could not be read: check that it is a file you may read")
        }
        guard size <= maxFileBytes else {
            throw ctx.valueError("file", "'\(path)' is \(megabytes(size)); a word list may be at most 10 MB "
                                 + "(100,000 words): give a shorter list")
        }
        guard let data = fm.contents(atPath: path) else {
            throw ctx.valueError("file", "'\(path)' could not be read: check that it is a file you may read")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw ctx.valueError("file", "'\(path)' is not UTF-8 text: save it as UTF-8, one word on each line")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }   // a byte-order mark is not part of the first word
        // "\n", "\r\n" and "\r" all end a line; the newline after the last line does not start another.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        if lines.last?.isEmpty == true { lines.removeLast() }
        let trimmed = lines.map { $0.trimmingCharacters(in: .whitespaces) }
        guard trimmed.contains(where: { !$0.isEmpty }) else {
            throw ctx.valueError("file", "'\(path)' has no words: put one word on each line")
        }
        var words: [String] = [], firstLine: [String: Int] = [:]
        for (i, word) in trimmed.enumerated() {
            let line = i + 1
            guard !word.isEmpty else {
                throw ctx.valueError("file", "line \(line) of '\(path)' is empty: remove empty lines, one word on each line")
            }
            if let first = firstLine[word] {
                throw ctx.valueError("file", "'\(word)' is on line \(first) and again on line \(line) of '\(path)': "
                                     + "remove the repeat, each word once")
            }
            guard words.count < maxWords else {
                throw ctx.valueError("file", "'\(path)' has more than 100,000 words: give a shorter list")
            }
            firstLine[word] = line
            words.append(word)
        }
        return words
    }

    /// A file's size attribute: an NSNumber, or on some platforms a plain integer.
    static func byteCount(_ value: Any?) -> Int? {
        switch value {
        case let n as NSNumber: return n.intValue
        case let n as UInt64: return Int(clamping: n)
        case let n as Int: return n
        default: return nil
        }
    }

    static func megabytes(_ bytes: Int) -> String {
        String(format: "%.1f MB", Double(bytes) / 1_000_000)
    }
}

func registerVocabularies(_ r: Registry) {
    r.add(BuiltinFunction("vocabulary", [
        Parameter(nil, name: "name", type: "Option", default: .enumCase("english", []), doc: "which list", choices: Vocabularies.choices),
        Parameter("file", type: "String", default: .null,
                  doc: "instead of a name: a text file with one word (or phrase) on each line, read in order"),
        Parameter("count", type: "Int", default: .int(5000), doc: "at most this many words (1 to 100,000), the first in the list"),
    ], returns: "[String]", doc: "A word list: `vocabulary(.english)` gives the 5,000 most frequent English words of three or more "
       + "letters (from wordfreq, CC BY-SA 4.0), the kind of vocabulary Joseph et al. measure `clip.steerability` over; "
       + "`vocabulary(.clipTokens)` the commonest whole-word entries of CLIP's tokenizer, some of them word fragments; "
       + "`vocabulary(.scenes)` the toy world's own words; `vocabulary(file: \"words.txt\")` a list of your own, "
       + "one word a line.") { ctx in
        let count = try ctx.int("count")
        guard (1...Vocabularies.maxWords).contains(count) else {
            throw ctx.valueError("count", "'count:' must be between 1 and 100,000 words, got \(count)")
        }
        let words: [String]
        if ctx.has("file") {
            // The name has a default, so only its own span tells that one was written.
            if ctx.spanOf("name") != ctx.span {
                throw ctx.valueError("name", "give a list's name or 'file:', not both: "
                                     + "`vocabulary(file: \"words.txt\")` reads your own list")
            }
            words = try Vocabularies.read(file: try ctx.string("file"), ctx)
        } else {
            if case .enumCase(let name, _) = ctx.value("name"), !Vocabularies.choices.contains(where: { $0.name == name }),
               name.lowercased().hasPrefix("clip") || name.lowercased().contains("token") {
                throw ctx.valueError("name", "'.\(name)' is not a choice for vocabulary(...) (did you mean '.clipTokens'? "
                                     + "CLIP's tokenizer words; '.english' is the English word list Joseph et al. used); "
                                     + "choices are " + Vocabularies.choices.map { "." + $0.name }.joined(separator: ", "))
            }
            let list: Result<[String], Error>
            switch try ctx.option("name").name {
            case "english": list = Vocabularies.englishWords
            case "clipTokens": list = Vocabularies.clipWords
            default: list = .success(Vocabularies.sceneWords)
            }
            do { words = try list.get() } catch { throw LoupeError(error, at: ctx.span) }
        }
        return .array(words.prefix(count).map { .string($0) })
    })
}
