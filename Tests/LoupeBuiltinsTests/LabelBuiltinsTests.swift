import Foundation
import LoupeBuiltins
import LoupeDisplay
import LoupeLanguage
import LoupeSessionTestSupport
import Testing

/// sae.labels, sae.search and clip.search in a session on the toy world,
/// where what a latent detects is known.
@Suite struct LabelBuiltinsTests {
    static let setup = """
    let clip = CLIP.load()
    let scenes = Dataset.scenes(count: 384, seed: 21)
    let acts = clip.activations(scenes, layer: 3, tokens: .all)
    let sae = SAE.train(acts, kind: .topK(k: 16), width: 1024, steps: 300, batch: 1024, deadWindow: 50)
    """

    @Test func labelsBeatRandomDirectionsAndAStarFindsAStarLatent() throws {
        let s = Session()
        guard case .success = s.run(Self.setup) else { Issue.record("setup failed: \(String(describing: failure(s, Self.setup)))"); return }
        guard case .success(let labels?, _) = s.run("sae.labels(in: scenes, vocabulary: vocabulary(.scenes))") else {
            Issue.record("labels failed: \(String(describing: failure(s, "sae.labels(in: scenes, vocabulary: vocabulary(.scenes))")))"); return
        }
        let table = try #require(labels.data[LoupeMIME.table])
        let ours = try #require(table["precision_at_1"]?.doubleValue), low = try #require(table["precision_low"]?.doubleValue)
        let random = try #require(table["random_precision_at_1"]?.doubleValue)
        #expect(low > random, "labels (\(ours), from \(low)) should beat random directions (\(random))")
        #expect((table["judged"]?.intValue ?? 0) >= 50)
        // The search ranks by a different measure (correlation over every image); a star latent is among its first
        // three (the top few's intervals overlap, so which comes first is not a finding), its r well above zero.
        guard case .success(let found?, _) = s.run("sae.search(\"a star\", in: scenes, top: 3)") else { Issue.record("search failed"); return }
        let rows = try #require(found.data[LoupeMIME.table]?["rows"]?.arrayValue)
        let star = try #require(rows.first { $0[5]?.stringValue == "star" }, "no star latent among \(rows)")
        #expect((star[2]?.doubleValue ?? 0) > 0.1)
        // The feature page shows the label sae.labels found.
        let latent = try #require(star[0]?.intValue)
        guard case .success(let page?, _) = s.run("sae.feature(\(latent), in: scenes)") else { Issue.record("feature failed"); return }
        #expect(page.plainText.contains("label") && page.plainText.contains("star"))
    }

    @Test func neuronsAreSearchedTheSameWay() throws {
        let s = Session()
        _ = s.run("let clip = CLIP.load()\nlet scenes = Dataset.scenes(count: 40, seed: 2)")
        guard case .success(let found?, _) = s.run("clip.search(\"a red star\", in: scenes, layer: 1, top: 4)") else {
            Issue.record("search failed: \(String(describing: failure(s, "clip.search(\"a red star\", in: scenes, layer: 1, top: 4)")))"); return
        }
        let rows = try #require(found.data[LoupeMIME.table]?["rows"]?.arrayValue)
        #expect(rows.count == 4)
        let r = rows.compactMap { $0[1]?.doubleValue }
        #expect(r == r.sorted(by: >))
    }

    @Test func badInputIsRefusedAndTheSessionKeepsItsVariables() {
        let s = Session()
        _ = s.run("let clip = CLIP.load()\nlet scenes = Dataset.scenes(count: 12, seed: 2)\n"
                  + "let sae = SAE.train(clip.activations(scenes, layer: 1), kind: .topK(k: 4), width: 16, steps: 2, batch: 16)")
        #expect(failure(s, "sae.labels(in: scenes, vocabulary: [])")?.message.contains("give at least one word") == true)
        #expect(failure(s, "sae.search(\"   \", in: scenes)")?.message.contains("the prompt is empty") == true)
        #expect(failure(s, "clip.search(\"\", in: scenes, layer: 1)")?.message.contains("the prompt is empty") == true)
        #expect(failure(s, "sae.labels(in: scenes, top: 0)")?.message.contains("1 to 20 words") == true)
        #expect(failure(s, "sae.labels(in: scenes, vocabulary: [\"a\"], latents: [99])")?.message.contains("does not exist") == true)
        #expect(result(s, "scenes.count") == "12")
    }
}

/// `sae.export` refuses a folder that holds files (writing nothing into
/// it), and writes a new one whole.
@Suite struct ExportBuiltinsTests {
    @Test func aFolderWithFilesIsRefusedAndANewOneIsWritten() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-export-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base + "/taken", withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: base + "/taken/notes.txt"))
        let s = Session()
        _ = s.run("let clip = CLIP.load()\nlet scenes = Dataset.scenes(count: 16, seed: 2)\n"
                  + "let sae = SAE.train(clip.activations(scenes, layer: 1), kind: .topK(k: 4), width: 16, steps: 4, batch: 64)")
        let refused = failure(s, "sae.export(\"\(base)/taken\", images: scenes)")
        #expect(refused?.message.contains("never overwrites") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: base + "/taken") == ["notes.txt"])
        #expect(failure(s, "sae.export(\"\(base)/taken/notes.txt\", images: scenes)")?.message.contains("not a folder") == true)
        #expect(result(s, "sae.export(\"\(base)/site\", images: scenes, latents: 0..<4, top: 3)") == "\"\(base)/site/index.html\"")
        let pages = try FileManager.default.contentsOfDirectory(atPath: base + "/site/latents").sorted()
        #expect(pages == ["0.html", "1.html", "2.html", "3.html"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: base + "/site/images").count == 16)
        // Nothing is left beside it: the staging folder was renamed into place.
        #expect(try FileManager.default.contentsOfDirectory(atPath: base).sorted() == ["site", "taken"])
        #expect(result(s, "scenes.count") == "16")
    }
}
