import Foundation
import LoupeBuiltins
import LoupeLanguage
import Testing

@Suite struct ToolingTests {
    @Test func completesGlobalsMembersAndLabels() {
        let s = Session()
        #expect(s.complete("Datas", cursor: 5).matches == ["Dataset"])
        #expect(s.complete("Dataset.sc", cursor: 10).matches == ["scenes"])
        let labels = s.complete("Dataset.scenes(co", cursor: 17)
        #expect(labels.matches.first == "count:")
        #expect(labels.start == 15 && labels.end == 17)
        _ = s.run("let xs = [1, 2]")
        #expect(s.complete("xs.so", cursor: 5).matches == ["sorted"])
        #expect(s.complete("x", cursor: 1).matches.contains("xs"))
    }

    @Test func completesAnOptionsCasesAfterItsLabel() {
        let s = Session()
        _ = s.run("let clip = CLIP.load()")
        let code = "clip.activations(scenes, layer: 1, tokens: ."
        let c = s.complete(code, cursor: code.unicodeScalars.count)
        #expect(c.matches == [".cls", ".spatial", ".all"])
        #expect(c.start == code.unicodeScalars.count - 1 && c.end == code.unicodeScalars.count)
        let typed = "clip.activations(scenes, layer: 1, tokens: .sp"
        #expect(s.complete(typed, cursor: typed.unicodeScalars.count).matches == [".spatial"])
        let kinds = "SAE.train(acts, kind: ."
        let k = s.complete(kinds, cursor: kinds.unicodeScalars.count).matches
        #expect(k.contains(".topK(k: 32)") && k.contains(".relu(l1: 5)") && k.count == 5)
        // A dot after a variable is still a member access.
        #expect(s.complete("clip.la", cursor: 7).matches == ["layers"])
    }

    @Test func completesAStringArgumentsValuesFromTheReceiver() {
        let s = Session()
        _ = s.run("let scenes = Dataset.scenes(count: 8)")
        let code = "scenes.filter(background: \"s"
        let c = s.complete(code, cursor: code.unicodeScalars.count)
        #expect(c.matches == ["sand", "sky", "snow"])
        #expect(c.start == code.unicodeScalars.count - 1)
        // Inside filter( only the dataset's own attributes are offered.
        let labels = s.complete("scenes.filter(", cursor: 14).matches
        #expect(labels.contains("background:") && labels.contains("shape:") && !labels.contains("Blond_Hair:"))
    }

    @Test func inspectsAnOptionsCase() {
        let s = Session()
        _ = s.run("let clip = CLIP.load()")
        let code = "clip.activations(scenes, layer: 1, tokens: .spatial)"
        let text = s.inspect(code, cursor: code.unicodeScalars.count - 3)?.plainText ?? ""
        #expect(text.hasPrefix("tokens: .spatial") && text.contains("patch tokens"))
    }

    @Test func helpSummariesEndAtTheEndOfASentence() {
        let s = Session()
        guard case .success(_, let pages) = s.run("help(SAE)") else { Issue.record("help failed"); return }
        let text = pages.map(\.plainText).joined()
        // Not cut at the dot of a file name or an abbreviation.
        #expect(text.contains("Saves in SAELens's layout (sae_weights.safetensors + cfg.json), atomically."))
        #expect(!text.contains("(sae_weights.\n"))
    }

    @Test func inspectsBuiltinsAndVariables() {
        let s = Session()
        #expect(s.inspect("print", cursor: 2)?.plainText.hasPrefix("print(") == true)
        #expect(s.inspect("Dataset.scenes(", cursor: 15)?.plainText.hasPrefix("Dataset.scenes(count: Int = 256") == true)
        _ = s.run("let n = 3")
        #expect(s.inspect("n", cursor: 1)?.plainText == "n: Int\n\n3")
        #expect(s.inspect("nothing", cursor: 3) == nil)
    }

    @Test func everyBuiltinIsDocumented() {
        let registry = Registry.standard
        for f in registry.functions.values { #expect(!f.doc.isEmpty, "\(f.name)") }
        for t in registry.types.values {
            #expect(!t.doc.isEmpty, "\(t.name)")
            for f in Array(t.methods.values) + Array(t.staticMembers.values) { #expect(!f.doc.isEmpty, "\(t.name).\(f.name)") }
            for p in t.properties.values { #expect(!p.doc.isEmpty, "\(t.name).\(p.name)") }
        }
    }
}

@Suite struct ReferenceTests {
    /// docs/reference.md must be regenerated (`loupe docs`) whenever a builtin changes.
    @Test func committedReferenceMatchesTheRegistry() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let committed = try String(contentsOf: root.appendingPathComponent("docs/reference.md"), encoding: .utf8)
        #expect(committed == Reference.markdown(.standard), "docs/reference.md is stale: run `loupe docs`")
        for name in Registry.standard.functions.keys { #expect(committed.contains("`\(name)("), "\(name)") }
        for name in Registry.standard.types.keys { #expect(committed.contains("## \(name)"), "\(name)") }
    }
}
