import Foundation

/// CLIP's byte-level BPE tokenizer (the `bpe_simple_vocab_16e6` merges):
/// clean the text (see `TextCleaning`), split it into words, spell each
/// word's UTF-8 bytes with printable stand-in characters, apply the merges,
/// and wrap the ids in start/end tokens truncated to the context length.
package final class CLIPTokenizer: @unchecked Sendable {
    package let startToken: Int32
    package let endToken: Int32
    package let vocabularySize: Int
    private let encoder: [String: Int32]
    /// Whole lowercase words (three letters or more) that are single tokens,
    /// in merge order, which follows frequency in CLIP's training text.
    package let commonWords: [String]
    private let ranks: [Pair: Int]
    private let byteSymbols: [String]
    private var cache: [String: [Int32]] = [:]
    private let lock = NSLock()

    struct Pair: Hashable { let a: String; let b: String }

    /// The tokenizer with the vocabulary shipped with Loupe.
    package static func standard() throws -> CLIPTokenizer {
        try CLIPTokenizer(vocabularyPath: try vocabularyFile())
    }

    static let vocabularyName = "bpe_simple_vocab_16e6.txt.gz"

    /// The shipped vocabulary ($LOUPE_BPE_VOCAB overrides it).
    static func vocabularyFile() throws -> String {
        try ShippedResource.path(vocabularyName, what: "the BPE vocabulary", environment: "LOUPE_BPE_VOCAB")
    }

    /// Loads merges from a `bpe_simple_vocab_16e6.txt.gz` file.
    package init(vocabularyPath: String) throws {
        guard let data = FileManager.default.contents(atPath: vocabularyPath) else {
            throw CLIPError(file: vocabularyPath, problem: "cannot read the BPE vocabulary", fix: "Check the path.")
        }
        let text = String(decoding: try Gzip.decompress([UInt8](data), name: vocabularyPath), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // Line 0 is a version header; CLIP uses the next 48,894 merges.
        let mergeCount = 49152 - 256 - 2
        guard lines.count > mergeCount else {
            throw CLIPError(file: vocabularyPath, problem: "holds \(lines.count) lines, fewer than CLIP's \(mergeCount) merges",
                            fix: "Use open_clip's bpe_simple_vocab_16e6.txt.gz.")
        }
        let (table, order) = CLIPTokenizer.byteToSymbol()
        byteSymbols = table
        // Vocabulary ids follow the table's construction order (printable
        // bytes first), not byte order.
        var vocab = order.map { table[$0] }
        vocab += order.map { table[$0] + "</w>" }
        var ranks: [Pair: Int] = [:]
        ranks.reserveCapacity(mergeCount)
        var words: [String] = []
        for (rank, line) in lines[1...mergeCount].enumerated() {
            let parts = line.split(separator: " ")
            guard parts.count == 2 else {
                throw CLIPError(file: vocabularyPath, problem: "merge line \(rank + 2) is not two symbols", fix: "Use open_clip's bpe_simple_vocab_16e6.txt.gz.")
            }
            ranks[Pair(a: String(parts[0]), b: String(parts[1]))] = rank
            let merged = String(parts[0]) + String(parts[1])
            vocab.append(merged)
            if merged.hasSuffix("</w>") {
                let stem = merged.dropLast(4)
                if stem.count >= 3 && stem.allSatisfy({ $0 >= "a" && $0 <= "z" }) { words.append(String(stem)) }
            }
        }
        commonWords = words
        vocab += ["<start_of_text>", "<end_of_text>"]
        var encoder: [String: Int32] = [:]
        for (i, v) in vocab.enumerated() { encoder[v] = Int32(i) }
        self.encoder = encoder
        self.ranks = ranks
        self.vocabularySize = vocab.count
        startToken = encoder["<start_of_text>"]!
        endToken = encoder["<end_of_text>"]!
    }

    /// GPT-2's reversible byte → printable character table, and the order
    /// in which bytes were added to it.
    static func byteToSymbol() -> (table: [String], order: [Int]) {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var codes = printable
        var n = 0
        for b in 0..<256 where !printable.contains(b) {
            printable.append(b); codes.append(256 + n); n += 1
        }
        var table = [String](repeating: "", count: 256)
        for (b, c) in zip(printable, codes) { table[b] = String(Character(Unicode.Scalar(UInt32(c))!)) }
        return (table, printable)
    }

    /// BPE ids of `text` without start/end tokens.
    package func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        for word in CLIPTokenizer.words(TextCleaning.clean(text)) {
            if word == "<start_of_text>" { ids.append(startToken); continue }
            if word == "<end_of_text>" { ids.append(endToken); continue }
            ids += bpe(word.utf8.map { byteSymbols[Int($0)] })
        }
        return ids
    }

    /// Token ids [start, text..., end] padded with zeros to `contextLength`;
    /// longer texts are cut and end with the end token, as open_clip does.
    package func tokenize(_ text: String, contextLength: Int = 77) -> [Int32] {
        var ids = [startToken] + encode(text) + [endToken]
        if ids.count > contextLength {
            ids = Array(ids.prefix(contextLength))
            ids[contextLength - 1] = endToken
        }
        return ids + [Int32](repeating: 0, count: contextLength - ids.count)
    }

    /// Splits cleaned text the way CLIP's regular expression does: special
    /// tokens, English contractions, letter runs, single digits, and runs of
    /// anything else that is not a space.
    static func words(_ text: String) -> [String] {
        let u = Array(text.unicodeScalars)
        var words: [String] = []
        var i = 0
        func isLetter(_ s: Unicode.Scalar) -> Bool {
            switch s.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
            default: return false
            }
        }
        func isNumber(_ s: Unicode.Scalar) -> Bool {
            switch s.properties.generalCategory {
            case .decimalNumber, .letterNumber, .otherNumber: return true
            default: return false
            }
        }
        func matches(_ literal: String, at i: Int) -> Bool {
            let l = Array(literal.unicodeScalars)
            guard i + l.count <= u.count else { return false }
            return (0..<l.count).allSatisfy { u[i + $0] == l[$0] }
        }
        while i < u.count {
            if let special = ["<start_of_text>", "<end_of_text>"].first(where: { matches($0, at: i) }) {
                words.append(special); i += special.unicodeScalars.count; continue
            }
            if u[i] == "'", let c = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"].first(where: { matches($0, at: i) }) {
                words.append(c); i += c.unicodeScalars.count; continue
            }
            var j = i
            if isLetter(u[i]) {
                while j < u.count && isLetter(u[j]) { j += 1 }
            } else if isNumber(u[i]) {
                j = i + 1
            } else if !TextCleaning.isSpace(u[i]) {
                while j < u.count && !isLetter(u[j]) && !isNumber(u[j]) && !TextCleaning.isSpace(u[j]) { j += 1 }
            } else {
                i += 1; continue
            }
            words.append(String(String.UnicodeScalarView(u[i..<j])))
            i = j
        }
        return words
    }

    /// Merges a word's symbols by rank until no known pair remains.
    func bpe(_ symbols: [String]) -> [Int32] {
        let key = symbols.joined()
        lock.lock()
        if let hit = cache[key] { lock.unlock(); return hit }
        lock.unlock()
        var word = symbols
        word[word.count - 1] += "</w>"
        while word.count > 1 {
            var best: (rank: Int, index: Int)?
            for i in 0..<(word.count - 1) {
                if let r = ranks[Pair(a: word[i], b: word[i + 1])], r < (best?.rank ?? Int.max) { best = (r, i) }
            }
            guard let best else { break }
            let first = word[best.index], second = word[best.index + 1]
            // Merge every occurrence of the pair, left to right.
            var merged: [String] = []
            var i = 0
            while i < word.count {
                if i < word.count - 1 && word[i] == first && word[i + 1] == second {
                    merged.append(first + second); i += 2
                } else {
                    merged.append(word[i]); i += 1
                }
            }
            word = merged
        }
        let ids = word.map { encoder[$0] ?? 0 }
        lock.lock(); cache[key] = ids; lock.unlock()
        return ids
    }
}
