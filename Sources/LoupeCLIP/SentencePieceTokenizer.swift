import Foundation

/// A tokenizer that turns a text into a model's context of ids.
package protocol TextTokenizer: Sendable {
    /// Ids for `text`, padded (or cut) to exactly `contextLength`.
    func tokenize(_ text: String, contextLength: Int) -> [Int32]
}

extension CLIPTokenizer: TextTokenizer {}

/// SigLIP's tokenizer as transformers' `SiglipTokenizer` runs it with the
/// processor's `padding="max_length"`: the text lowercased, ASCII
/// punctuation removed, whitespace collapsed and trimmed; then the
/// SentencePiece unigram model of the folder's `spiece.model` segments
/// "▁" + text (spaces as "▁") into the pieces whose scores sum highest
/// (Viterbi); then the end token `</s>`, and `</s>` again as padding.
package final class SentencePieceTokenizer: TextTokenizer, @unchecked Sendable {
    struct Piece { let id: Int32; let score: Float }
    private let pieces: [String: Piece]
    private let longest: Int
    let unknown: Int32
    let unknownScore: Float
    package let endToken: Int32
    package let padToken: Int32

    package convenience init(folder: String) throws {
        let path = (folder as NSString).appendingPathComponent("spiece.model")
        let gemma = (folder as NSString).appendingPathComponent("tokenizer.model")
        if !FileManager.default.fileExists(atPath: path), FileManager.default.fileExists(atPath: gemma) {
            throw CLIPError(file: folder, problem: "this SigLIP 2 folder tokenizes with Gemma's tokenizer (tokenizer.model), which Loupe does not run yet",
                            fix: "Its image tower works (activations, SAEs, maps, probes); for text use a SigLIP folder with spiece.model, or CLIP.")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIPError(file: folder, problem: "the SigLIP folder has no readable spiece.model, so its text cannot be tokenized",
                            fix: "Copy the model's spiece.model (saved by SiglipTokenizer.save_pretrained) into the folder.")
        }
        try self.init(model: [UInt8](data), name: path)
    }

    /// Reads a SentencePiece `ModelProto`: its pieces (field 1), each a
    /// string (1), a score (2) and a type (3: 1 normal, 2 unknown,
    /// 3 control, 4 user-defined, 5 unused, 6 byte).
    package init(model bytes: [UInt8], name: String) throws {
        func bad(_ what: String) -> CLIPError {
            CLIPError(file: name, problem: "is not a SentencePiece model: \(what)", fix: "Replace spiece.model with the model's own file.")
        }
        var reader = ProtobufReader(bytes: bytes)
        var table: [String: Piece] = [:], longest = 1
        var unknown: Int32?, end: Int32?, minScore = Float.infinity, index: Int32 = 0
        while let (field, wire) = try reader.nextField(or: bad) {
            guard field == 1, wire == 2 else { try reader.skip(wire: wire, or: bad); continue }
            var piece = ProtobufReader(bytes: try reader.lengthDelimited(or: bad))
            var text = "", score: Float = 0, type = 1
            while let (f, w) = try piece.nextField(or: bad) {
                switch (f, w) {
                case (1, 2): text = String(decoding: try piece.lengthDelimited(or: bad), as: UTF8.self)
                case (2, 5): score = try piece.float32(or: bad)
                case (3, 0): type = Int(truncatingIfNeeded: try piece.varint(or: bad))
                default: try piece.skip(wire: w, or: bad)
                }
            }
            switch type {
            case 2: unknown = index
            case 1, 4:
                table[text] = Piece(id: index, score: type == 4 ? 0 : score)
                longest = max(longest, text.unicodeScalars.count)
                if type == 1 { minScore = min(minScore, score) }
            default: break
            }
            if text == "</s>" { end = index }
            index += 1
        }
        guard let unknown else { throw bad("it has no unknown piece") }
        guard let end else { throw bad("it has no </s> piece") }
        self.pieces = table; self.longest = longest; self.unknown = unknown
        // SentencePiece's penalty for a character no piece covers.
        self.unknownScore = (minScore.isFinite ? minScore : 0) - 10
        self.endToken = end; self.padToken = end
    }

    /// The text as SiglipTokenizer canonicalises it.
    static func canonical(_ text: String) -> String {
        let punctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars)
        let kept = text.lowercased().unicodeScalars.filter { !punctuation.contains($0) }
        var out = "", space = false
        for s in kept {
            if s.properties.isWhitespace { space = true; continue }
            if space && !out.isEmpty { out.append(" ") }
            space = false
            out.unicodeScalars.append(s)
        }
        return out
    }

    /// Piece ids of `text`, without the end token.
    package func encode(_ text: String) -> [Int32] {
        let canonical = Self.canonical(text)
        guard !canonical.isEmpty else { return [] }
        let chars = Array(("▁" + canonical.replacingOccurrences(of: " ", with: "▁")).unicodeScalars)
        let n = chars.count
        // best[i]: the highest total score of a segmentation of chars[..<i].
        var best = [Float](repeating: -.infinity, count: n + 1), from = [Int](repeating: 0, count: n + 1)
        var piece = [Int32](repeating: 0, count: n + 1)
        best[0] = 0
        for start in 0..<n where best[start] > -.infinity {
            var text = String.UnicodeScalarView(), matched = false
            for end in (start + 1)...min(n, start + longest) {
                text.append(chars[end - 1])
                guard let p = pieces[String(text)] else { continue }
                if end == start + 1 { matched = true }
                if best[start] + p.score > best[end] { best[end] = best[start] + p.score; from[end] = start; piece[end] = p.id }
            }
            if !matched, best[start] + unknownScore > best[start + 1] {
                best[start + 1] = best[start] + unknownScore; from[start + 1] = start; piece[start + 1] = unknown
            }
        }
        var ids: [Int32] = [], i = n
        while i > 0 { ids.append(piece[i]); i = from[i] }
        // SentencePiece merges a run of unknown characters into one unknown piece.
        var merged: [Int32] = []
        for id in ids.reversed() where !(id == unknown && merged.last == unknown) { merged.append(id) }
        return merged
    }

    package func tokenize(_ text: String, contextLength: Int) -> [Int32] {
        var ids = Array(encode(text).prefix(contextLength - 1)) + [endToken]
        ids += [Int32](repeating: padToken, count: max(0, contextLength - ids.count))
        return ids
    }
}

/// Just enough of the protocol-buffer wire format to read a SentencePiece
/// model, every length checked against the bytes that remain.
struct ProtobufReader {
    let bytes: [UInt8]
    var at = 0

    mutating func varint(or bad: (String) -> Error) throws -> UInt64 {
        var value: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard at < bytes.count, shift < 64 else { throw bad("a number runs past the end of the file") }
            let b = bytes[at]; at += 1
            value |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return value }
            shift += 7
        }
    }

    mutating func nextField(or bad: (String) -> Error) throws -> (Int, Int)? {
        guard at < bytes.count else { return nil }
        let key = try varint(or: bad)
        return (Int(truncatingIfNeeded: key >> 3), Int(key & 7))
    }

    mutating func lengthDelimited(or bad: (String) -> Error) throws -> [UInt8] {
        let length = try varint(or: bad)
        guard length <= UInt64(bytes.count - at) else { throw bad("a field is longer than the file") }
        defer { at += Int(length) }
        return Array(bytes[at..<(at + Int(length))])
    }

    mutating func float32(or bad: (String) -> Error) throws -> Float {
        guard bytes.count - at >= 4 else { throw bad("a number runs past the end of the file") }
        var bits: UInt32 = 0
        for i in 0..<4 { bits |= UInt32(bytes[at + i]) << (8 * UInt32(i)) }
        at += 4
        return Float(bitPattern: bits)
    }

    mutating func skip(wire: Int, or bad: (String) -> Error) throws {
        switch wire {
        case 0: _ = try varint(or: bad)
        case 1: guard bytes.count - at >= 8 else { throw bad("a field runs past the end") }; at += 8
        case 2: _ = try lengthDelimited(or: bad)
        case 5: guard bytes.count - at >= 4 else { throw bad("a field runs past the end") }; at += 4
        default: throw bad("wire type \(wire) is not one a SentencePiece model uses")
        }
    }
}
