import LoupeCLIP
import LoupeLanguage
import LoupeWorld

/// Word lists for steerability and zero-shot work, by name, so a notebook
/// does not paste 5,000 words: `vocabulary(.clip)` is Joseph et al.'s kind
/// of vocabulary, the commonest whole words of CLIP's own tokenizer.
enum Vocabularies {
    static let choices = [
        Choice("clip", "whole-word tokens of CLIP's BPE vocabulary (lowercase letters, three or more), in merge order, "
               + "which follows their frequency in CLIP's training text"),
        Choice("scenes", "the toy world's words: every shape, colour, size, position and background, and the drawn words"),
    ]

    /// The tokenizer's word list, read once per process.
    static let clipWords: Result<[String], Error> = Result { try CLIPTokenizer.standard().commonWords }

    static var sceneWords: [String] {
        var seen = Set<String>(), out: [String] = []
        for attribute in ["shape", "colour", "size", "position", "background"] {
            for v in SceneVocabulary.values(of: attribute) ?? [] where seen.insert(v).inserted { out.append(v) }
        }
        for w in SceneVocabulary.words where seen.insert(w).inserted { out.append(w) }
        return out
    }
}

func registerVocabularies(_ r: Registry) {
    r.add(BuiltinFunction("vocabulary", [
        Parameter(nil, name: "name", type: "Option", default: .enumCase("clip", []), doc: "which list", choices: Vocabularies.choices),
        Parameter("count", type: "Int", default: .int(5000), doc: "at most this many words, the commonest first"),
    ], returns: "[String]", doc: "A named word list: `vocabulary(.clip)` gives the 5,000 commonest whole words of CLIP's tokenizer, "
       + "a vocabulary the size of Joseph et al.'s for `clip.steerability`; `vocabulary(.scenes)` the toy world's own words.") { ctx in
        let count = try ctx.int("count")
        guard count > 0 else { throw ctx.valueError("count", "give a positive number of words, got \(count)") }
        let words: [String]
        switch try ctx.option("name").name {
        case "clip":
            do { words = try Vocabularies.clipWords.get() } catch { throw languageError(error, at: ctx.span) }
        default:
            words = Vocabularies.sceneWords
        }
        return .array(words.prefix(count).map { .string($0) })
    })
}
