import Foundation
import LoupeBuiltins
import LoupeCLIP
import LoupeLanguage
import LoupeSessionTestSupport
import Testing

/// `vocabulary(...)`: the shipped English list Joseph et al.'s steerability
/// is measured over, CLIP's tokenizer words, and word lists read from files,
/// with each way a file can be wrong named in its error.
@Suite struct VocabularyTests {
    /// A temporary file with these contents, removed when the test ends.
    final class TempFile {
        let path: String
        init(_ contents: String) throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-words-\(UUID().uuidString).txt").path
            try contents.write(toFile: path, atomically: true, encoding: .utf8)
        }
        init(data: Data) throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-words-\(UUID().uuidString).txt").path
            try data.write(to: URL(fileURLWithPath: path))
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    @Test func theEnglishListIsFiveThousandDistinctLowercaseWordsCommonestFirst() throws {
        let words = try EnglishWords.load()
        #expect(words.count == 5000)
        #expect(Set(words).count == 5000)
        #expect(words.allSatisfy { w in w.count >= 3 && w.unicodeScalars.allSatisfy { $0 >= "a" && $0 <= "z" } })
        #expect(Array(words.prefix(8)) == ["the", "and", "for", "that", "you", "with", "this", "was"])
        for word in ["dog", "cat", "car", "tree", "water", "house"] { #expect(words.contains(word), "\(word)") }
        // Real words, not the tokenizer's fragments, nor names of people and places.
        for fragment in ["ing", "ers", "ation", "john", "london", "etc"] { #expect(!words.contains(fragment), "\(fragment)") }
    }

    @Test func englishIsTheDefaultListAndClipTokensAreTheTokenizers() {
        let s = Session()
        #expect(result(s, "vocabulary().count") == "5000")
        #expect(result(s, "vocabulary() == vocabulary(.english)") == "true")
        #expect(result(s, "vocabulary(count: 5)") == "[\"the\", \"and\", \"for\", \"that\", \"you\"]")
        #expect(result(s, "vocabulary(.english).contains(\"ing\")") == "false")
        #expect(result(s, "vocabulary(.english, count: 100000).count") == "5000")
        // The tokenizer's list keeps its fragments: that is why it is not the default.
        #expect(result(s, "vocabulary(.clipTokens, count: 3)") == "[\"the\", \"ing\", \"and\"]")
        #expect(result(s, "vocabulary(.scenes).contains(\"circle\")") == "true")
    }

    @Test func theOldNameAndUnknownNamesPointToTheChoices() {
        let s = Session()
        let old = failure(s, "vocabulary(.clip)")?.message ?? ""
        #expect(old.contains("did you mean '.clipTokens'?"))
        #expect(old.contains("choices are .english, .clipTokens, .scenes"))
        #expect(failure(s, "vocabulary(.tokens)")?.message.contains("'.clipTokens'") == true)
        #expect(failure(s, "vocabulary(.wordnet)")?.message.contains("choices are .english, .clipTokens, .scenes") == true)
        #expect(failure(s, "vocabulary(.englsh)")?.message.contains("did you mean '.english'?") == true)
    }

    @Test func countMustBeBetweenOneAndAHundredThousand() {
        let s = Session()
        #expect(failure(s, "vocabulary(count: 0)")?.message == "'count:' must be between 1 and 100,000 words, got 0")
        #expect(failure(s, "vocabulary(.scenes, count: -3)")?.message.contains("got -3") == true)
        #expect(failure(s, "vocabulary(count: 100001)")?.message.contains("between 1 and 100,000") == true)
        #expect(result(s, "vocabulary(count: 1)") == "[\"the\"]")
    }

    @Test func readsAWordListFromAFile() throws {
        let file = try TempFile("dog\n  cat \r\nice cream\nzebra")
        let s = Session()
        #expect(result(s, "vocabulary(file: \"\(file.path)\")") == "[\"dog\", \"cat\", \"ice cream\", \"zebra\"]")
        #expect(result(s, "vocabulary(file: \"\(file.path)\", count: 2)") == "[\"dog\", \"cat\"]")
        let ended = try TempFile("dog\ncat\n")
        #expect(result(s, "vocabulary(file: \"\(ended.path)\")") == "[\"dog\", \"cat\"]")
    }

    @Test func aFileWithAProblemIsRefusedWithWhereAndHowToFixIt() throws {
        let s = Session()
        let repeated = try TempFile("dog\ncat\nbird\ncat\n")
        let message = failure(s, "vocabulary(file: \"\(repeated.path)\")")?.message ?? ""
        #expect(message.contains("'cat' is on line 2 and again on line 4"))

        let gap = try TempFile("dog\n\ncat\n")
        let empty = failure(s, "vocabulary(file: \"\(gap.path)\")")?.message ?? ""
        #expect(empty.contains("line 2"))
        #expect(empty.contains("remove empty lines"))
        let blank = try TempFile("dog\n   \ncat\n")
        #expect(failure(s, "vocabulary(file: \"\(blank.path)\")")?.message.contains("line 2") == true)

        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString).txt").path
        let error = failure(s, "vocabulary(file: \"\(missing)\")")
        #expect(error?.kind == .value)
        #expect(error?.message.contains("no word list at") == true)

        let nothing = try TempFile("")
        #expect(failure(s, "vocabulary(file: \"\(nothing.path)\")")?.message.contains("has no words") == true)
        let newlines = try TempFile("\n\n \n")
        #expect(failure(s, "vocabulary(file: \"\(newlines.path)\")")?.message.contains("has no words") == true)

        let binary = try TempFile(data: Data([0x64, 0x6f, 0x67, 0x0a, 0xc3, 0x28, 0x0a]))
        #expect(failure(s, "vocabulary(file: \"\(binary.path)\")")?.message.contains("not UTF-8") == true)

        let folder = FileManager.default.temporaryDirectory.path
        #expect(failure(s, "vocabulary(file: \"\(folder)\")")?.message.contains("is a folder") == true)

        // A name and a file together: one or the other.
        let words = try TempFile("dog\ncat\n")
        #expect(failure(s, "vocabulary(.english, file: \"\(words.path)\")")?.message.contains("not both") == true)
        #expect(failure(s, "vocabulary(.scenes, file: \"\(words.path)\")")?.message.contains("not both") == true)
        // The session lives on.
        #expect(result(s, "vocabulary(file: \"\(words.path)\").count") == "2")
    }

    @Test func aFileIsBoundedInWordsAndInBytes() throws {
        let s = Session()
        let many = try TempFile((0...100_000).map { "w\($0)" }.joined(separator: "\n"))
        #expect(failure(s, "vocabulary(file: \"\(many.path)\")")?.message.contains("more than 100,000 words") == true)
        let enough = try TempFile((0..<100_000).map { "w\($0)" }.joined(separator: "\n"))
        #expect(result(s, "vocabulary(file: \"\(enough.path)\", count: 100000).count") == "100000")

        // Refused from its size alone, before it is read.
        let huge = try TempFile(data: Data(repeating: 0x61, count: 10_000_001))
        #expect(failure(s, "vocabulary(file: \"\(huge.path)\")")?.message.contains("at most 10 MB") == true)
    }
}
