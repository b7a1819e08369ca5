import Foundation
import LoupeBuiltins
import LoupeLanguage
import LoupeSessionTestSupport
import Testing

/// The small builtins the typographic and real-data notebooks lean on:
/// env, sample and clip.zeroShot.
@Suite struct NotebookBuiltinsTests {
    @Test func envReadsTheProcessEnvironment() {
        let s = Session()
        let name = "LOUPE_TEST_\(UUID().uuidString.prefix(8))"
        #expect(result(s, "env(\"\(name)\") == nil") == "true")
        setenv(name, "/data/ViT-B-32.safetensors", 1)
        defer { unsetenv(name) }
        #expect(result(s, "env(\"\(name)\")") == "\"/data/ViT-B-32.safetensors\"")
        setenv(name, "", 1)
        #expect(result(s, "env(\"\(name)\") == nil") == "true")
        #expect(failure(s, "env(\"A=B\")")?.message == "'A=B' is not an environment variable name")
    }

    @Test func sampleIsSeededDistinctAndHonoursExclusions() {
        let s = Session()
        let first = result(s, "(0..<1000).sample(20, seed: 3)")
        #expect(first != nil && first == result(s, "(0..<1000).sample(20, seed: 3)"))
        #expect(first != result(s, "(0..<1000).sample(20, seed: 4)"))
        #expect(result(s, "(0..<10).sample(10, seed: 1).sorted()") == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]")
        #expect(result(s, "(0..<4).sample(2, seed: 9, excluding: [0, 1]).sorted()") == "[2, 3]")
        #expect(result(s, "[\"a\", \"b\", \"c\"].sample(1, seed: 2).count") == "1")
        #expect(failure(s, "(0..<3).sample(4)")?.message == "cannot draw 4 distinct elements from 3")
    }

    @Test func zeroShotCountsTheModelsOwnTopLabel() throws {
        let s = Session()
        _ = s.run("""
            let clip = CLIP.load()
            let stars = Dataset.scenes(count: 160, seed: 11, words: 0).filter(shape: "star")
            let z = clip.zeroShot(stars)
            """)
        #expect(result(s, "stars.count > 4") == "true")
        let table = try #require(result(s, "z"))
        #expect(table.hasPrefix("Zero-shot shape accuracy on"))
        #expect(table.contains("a star"), "\(table)")
        #expect(result(s, "z.prompts.contains(\"a circle\")") == "true")
        #expect(result(s, "z.perClass.keys") == "[\"star\"]")
        // The same count straight from classify's top label for each image.
        let hits = try #require(result(s, "clip.classify(stars, labels: z.prompts).column(\"label\").filter { $0 == \"a star\" }.count"))
        #expect(result(s, "Int(z.accuracy * Double(stars.count) + 0.5)") == hits)
    }

    @Test func zeroShotErrorsSayWhatToGive() {
        let s = Session()
        _ = s.run("let clip = CLIP.load()\nlet scenes = Dataset.scenes(count: 8, seed: 1)")
        #expect(failure(s, "clip.zeroShot(scenes, attribute: \"word\")")?.message.hasPrefix(
            "'word' has no fixed classes to classify in these images") == true)
        #expect(failure(s, "clip.zeroShot(scenes, attribute: \"habitat\", prompts: [\"water\"])")?.message
                == "give one prompt per class of habitat, in this order: water, land")
        #expect(result(s, "clip.zeroShot(scenes, attribute: \"habitat\", prompts: [\"a shape on water\", \"a shape on land\"]).prompts")
                == "[\"a shape on water\", \"a shape on land\"]")
    }
}
