import Foundation
import LoupeBuiltins
import LoupeDisplay
import LoupeLanguage
import LoupeSessionTestSupport
import Testing

@Suite struct DatasetAndChartTests {
    /// An undefined figure reads "n/a" in text and HTML, and is null for programs.
    @Test func undefinedFiguresReadAsSuch() {
        let t = TableObject(columns: ["value"], rows: [[.double(.nan)], [.double(.infinity)], [.double(0.5)]])
        #expect(t.plainText.contains("n/a") && t.plainText.contains("∞") && !t.plainText.contains("nan"))
        let html = t.display().data["text/html"]?.stringValue ?? ""
        #expect(html.contains("<td>n/a</td>") && !html.contains("nan"))
    }

    @Test func scenesIndexSliceFilterAndTypographic() {
        let s = Session()
        _ = s.run("let scenes = Dataset.scenes(count: 64, seed: 7)")
        #expect(result(s, "scenes[3]")?.hasPrefix("Image 224×224: a ") == true)
        #expect(result(s, "scenes[0..<8].count") == "8")
        #expect(result(s, "scenes.filter(habitat: \"water\").count + scenes.filter(background: \"land\").count") == "64")
        #expect(result(s, "scenes[0..<2].typographic(\"dog\").captions.map { $0.contains(\"the word \\\"dog\\\"\") }") == "[true, true]")
        #expect(failure(s, "scenes[64]")?.message == "index 64 is out of range 0..<64")
        #expect(failure(s, "scenes.filter(label: \"cat\")")?.message.hasPrefix("these images have no 'label' attribute") == true)
    }

    @Test func folderDatasetsReadClassSubfolders() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-folder-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let s = Session()
        _ = s.run("Dataset.scenes(count: 3, seed: 1)[0..<2].save(\"\(root.path)/cat\")\nDataset.scenes(count: 1, seed: 2).save(\"\(root.path)/dog\")")
        #expect(result(s, "Dataset.folder(\"\(root.path)\").count") == "3")
        #expect(result(s, "Dataset.folder(\"\(root.path)\").filter(label: \"cat\").count") == "2")
        #expect(result(s, "Dataset.folder(\"\(root.path)\", limit: 1).count") == "1")
        #expect(failure(s, "Dataset.folder(\"\(root.path)/none\")")?.kind == .io)
    }

    /// Photos are decoded batch by batch on the prefetch thread; a broken
    /// file in the middle stops the command with an error naming it, and
    /// the session keeps what it had.
    @Test func activationsStreamAFolderAndABrokenPhotoIsNamed() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-photos-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let s = Session()
        _ = s.run("let clip = CLIP.load()\nDataset.scenes(count: 40, seed: 3).save(\"\(root.path)\")")
        #expect(result(s, "let acts = clip.activations(Dataset.folder(\"\(root.path)\"), layer: 1)\nacts.shape") == "[40, 50, 128]")
        // The same images as scenes, bit for bit: the folder path decodes what was saved.
        #expect(result(s, "let direct = clip.activations(Dataset.scenes(count: 40, seed: 3), layer: 1)\ndirect.shape") == "[40, 50, 128]")
        try Data("not a picture".utf8).write(to: root.appendingPathComponent("image_00035x.png"))
        let error = failure(s, "let broken = clip.activations(Dataset.folder(\"\(root.path)\"), layer: 1)")
        #expect(error?.message.contains("image_00035x.png") == true, "\(String(describing: error))")
        #expect(result(s, "acts.shape") == "[40, 50, 128]")
    }

    @Test func chartsAreImages() {
        let s = Session()
        #expect(result(s, "histogram([1, 2, 2, 3], bins: 3, title: \"h\")") == "Image 640×400: h")
        #expect(result(s, "plot([[1, 0.5], [1, 0.7]], names: [\"a\", \"b\"])") == "Image 640×400: chart")
        #expect(failure(s, "bars(labels: [\"a\"], values: [1, 2])")?.message == "give one value per label (1)")
    }

    @Test func imagesSaveAsPNG() throws {
        let s = Session()
        let path = NSTemporaryDirectory() + "loupe-image-\(UUID().uuidString)/logo.png"
        _ = s.run("let picture = logo(size: 32)")
        #expect(failure(s, "picture.save(\"\(path)\")") == nil)
        let bytes = try #require(FileManager.default.contents(atPath: path))
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(failure(s, "picture.save(\"/tmp/logo.jpg\")")?.message.contains("ending in .png") == true)
        #expect(result(s, "picture.width") == "32")
    }
}
