import Foundation
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
        #expect(committed == Reference.markdown(), "docs/reference.md is stale: run `loupe docs`")
        for name in Registry.standard.functions.keys { #expect(committed.contains("`\(name)("), "\(name)") }
        for name in Registry.standard.types.keys { #expect(committed.contains("## \(name)"), "\(name)") }
    }
}
