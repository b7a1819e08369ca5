import Foundation
import LoupeBuiltins
import LoupeLanguage
import LoupeSessionTestSupport
import Testing

/// Tiny Waterbirds and CelebA folders in the standard layouts, with real
/// image files: PNG scenes written by `Dataset.save` and a committed JPEG.
struct BenchmarkFolder {
    let root: URL
    let session = Session()

    init(_ name: String) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    var path: String { root.path }

    /// Writes `count` toy scenes as PNG files into `folder` (scene-000000.png, ...).
    func writeScenes(_ count: Int, into folder: String) {
        _ = session.run("Dataset.scenes(count: \(count), seed: 5).save(\"\(root.appendingPathComponent(folder).path)\")")
    }

    func write(_ text: String, to name: String) throws {
        try text.write(to: root.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func remove(_ name: String) throws { try FileManager.default.removeItem(at: root.appendingPathComponent(name)) }

    /// A real JPEG from the CLIP fixtures, so the JPEG path is exercised too.
    func copyJPEG(to name: String) throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/clip/images/rgb.jpg")
        let target = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: fixture, to: target)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: root) }
}

@Suite struct WaterbirdsTests {
    /// Seven images: five in the test split (bird, place) = (land, land), (water, water), (water, land),
    /// (land, water) and the JPEG (water, water); one train, one val.
    static let metadata = """
        img_id,img_filename,y,split,place,place_filename
        1,birds/scene-000000.png,0,2,0,/b/bamboo_forest/1.jpg
        2,birds/scene-000001.png,1,2,1,/o/ocean/2.jpg
        3,birds/scene-000002.png,1,2,0,/f/forest/3.jpg
        4,birds/scene-000003.png,0,2,1,/l/lake/4.jpg
        5,birds/scene-000004.png,0,0,0,/f/forest/5.jpg
        6,birds/scene-000005.png,1,1,1,/o/ocean/6.jpg
        7,jpeg/Albatross_0001.jpg,1,2,1,/o/ocean/7.jpg

        """

    func makeFolder() throws -> BenchmarkFolder {
        let f = try BenchmarkFolder("waterbirds")
        f.writeScenes(6, into: "birds")
        try f.copyJPEG(to: "jpeg/Albatross_0001.jpg")
        try f.write(Self.metadata, to: "metadata.csv")
        return f
    }

    @Test func loadsSplitsAttributesAndImages() throws {
        let f = try makeFolder()
        defer { f.cleanUp() }
        let s = f.session
        _ = s.run("let birds = Dataset.waterbirds(\"\(f.path)\")")
        #expect(result(s, "birds.count") == "5")
        #expect(result(s, "Dataset.waterbirds(\"\(f.path)\", split: \"train\").count") == "1")
        #expect(result(s, "Dataset.waterbirds(\"\(f.path)\", split: \"val\").count") == "1")
        #expect(result(s, "Dataset.waterbirds(\"\(f.path)\", split: \"all\").count") == "7")
        #expect(result(s, "birds.filter(place: \"water\").count") == "3")
        #expect(result(s, "birds.filter(bird: \"waterbird\", place: \"land\").captions") == "[\"waterbird on land: scene-000002.png\"]")
        #expect(result(s, "birds[4]") == "Image 97×71: waterbird on water: Albatross_0001.jpg")
        #expect(result(s, "birds[0]")?.hasPrefix("Image 224×224: landbird on land") == true)
        // limit keeps the bird × place groups as even as it can: with two images of four groups, the rarest
        // (one image each; ties by name) are kept, and the two waterbirds on water give way.
        #expect(result(s, "Dataset.waterbirds(\"\(f.path)\", limit: 2).captions.map { $0.split(separator: \":\")[0] }")
                == "[\"landbird on land\", \"landbird on water\"]")
    }

    @Test func probesAndGroupsReadTheAttributes() throws {
        let f = try makeFolder()
        defer { f.cleanUp() }
        let s = f.session
        _ = s.run("let birds = Dataset.waterbirds(\"\(f.path)\", split: \"all\")\nlet clip = CLIP.load()\nlet probe = clip.probe(birds, label: \"bird\", steps: 50)")
        let table = try #require(result(s, "probe.evaluate(birds, groups: [\"bird\", \"place\"])"))
        for group in ["bird=landbird, place=land", "bird=landbird, place=water", "bird=waterbird, place=land",
                      "bird=waterbird, place=water", "worst group"] {
            #expect(table.contains(group), "\(group) missing from \(table)")
        }
    }

    @Test func errorsNameTheFileAndTheLayout() throws {
        let f = try makeFolder()
        defer { f.cleanUp() }
        let s = f.session
        _ = s.run("let birds = Dataset.waterbirds(\"\(f.path)\")")
        let badSplit = failure(s, "Dataset.waterbirds(\"\(f.path)\", split: \"tset\")")
        #expect(badSplit?.message == "'tset' is not a split (did you mean 'test'?); splits are \"train\", \"val\", \"test\", \"all\"")
        #expect(failure(s, "birds.filter(place: \"sea\")")?.message.hasPrefix("'sea' is not a value of place") == true)
        #expect(failure(s, "birds.filter(shape: \"star\")")?.message
                == "these images have no 'shape' attribute; they have 'bird:', 'place:'")

        try f.write(Self.metadata.replacingOccurrences(of: "birds/scene-000003.png", with: "birds/missing.png"), to: "metadata.csv")
        let missing = try #require(failure(s, "Dataset.waterbirds(\"\(f.path)\")"))
        #expect(missing.kind == .io)
        #expect(missing.message.contains("names birds/missing.png (img_id 4) but \(f.path)/birds/missing.png does not exist"))

        try f.write(Self.metadata.replacingOccurrences(of: ",place,", with: ",where,"), to: "metadata.csv")
        #expect(failure(s, "Dataset.waterbirds(\"\(f.path)\")")?.message.contains("metadata.csv has no 'place' column") == true)

        try f.write(Self.metadata.replacingOccurrences(of: "1,birds/scene-000000.png,0,2,0", with: "1,birds/scene-000000.png,3,2,0"),
                    to: "metadata.csv")
        #expect(failure(s, "Dataset.waterbirds(\"\(f.path)\")")?.message.contains("line 2 of \(f.path)/metadata.csv: y is '3', expected 0 to 1") == true)

        try f.remove("metadata.csv")
        let noMetadata = try #require(failure(s, "Dataset.waterbirds(\"\(f.path)\")"))
        #expect(noMetadata.message.hasPrefix("no metadata.csv in \(f.path); a Waterbirds folder holds metadata.csv (columns img_id, img_filename, y, split, place"))
        #expect(failure(s, "Dataset.waterbirds(\"\(f.path)/nowhere\")")?.message.hasPrefix("\(f.path)/nowhere is not a folder") == true)
        // The session keeps what it had.
        #expect(result(s, "birds.count") == "5")
    }
}

@Suite struct CelebATests {
    static let names = ["5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs", "Big_Lips",
        "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows", "Chubby", "Double_Chin", "Eyeglasses",
        "Goatee", "Gray_Hair", "Heavy_Makeup", "High_Cheekbones", "Male", "Mouth_Slightly_Open", "Mustache", "Narrow_Eyes",
        "No_Beard", "Oval_Face", "Pale_Skin", "Pointy_Nose", "Receding_Hairline", "Rosy_Cheeks", "Sideburns", "Smiling",
        "Straight_Hair", "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat", "Wearing_Lipstick", "Wearing_Necklace",
        "Wearing_Necktie", "Young"]
    /// (file, partition, Blond_Hair, Male): two train, one val, three test.
    static let people: [(String, Int, Bool, Bool)] = [
        ("scene-000000.png", 0, true, false), ("scene-000001.png", 0, false, true), ("scene-000002.png", 1, true, true),
        ("scene-000003.png", 2, true, false), ("scene-000004.png", 2, false, true), ("scene-000005.png", 2, true, true),
    ]

    static func attributeList(value: (Int, Int) -> String = { _, _ in "-1" }) -> String {
        var lines = ["\(people.count)", names.joined(separator: " ")]
        for (row, p) in people.enumerated() {
            let values = names.indices.map { c -> String in
                if names[c] == "Blond_Hair" { return p.2 ? " 1" : "-1" }
                if names[c] == "Male" { return p.3 ? " 1" : "-1" }
                return value(row, c)
            }
            lines.append(p.0 + " " + values.joined(separator: " "))   // padded with runs of spaces, as the release is
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func makeFolder() throws -> BenchmarkFolder {
        let f = try BenchmarkFolder("celeba")
        f.writeScenes(6, into: "img_align_celeba")
        try f.write(Self.attributeList(), to: "list_attr_celeba.txt")
        try f.write(Self.people.map { "\($0.0) \($0.1)" }.joined(separator: "\n") + "\n", to: "list_eval_partition.txt")
        return f
    }

    @Test func loadsSplitsAndYesNoAttributes() throws {
        let f = try makeFolder()
        defer { f.cleanUp() }
        let s = f.session
        _ = s.run("let faces = Dataset.celeba(\"\(f.path)\", attributes: [\"Blond_Hair\", \"Male\"])")
        #expect(result(s, "faces.count") == "3")
        #expect(result(s, "Dataset.celeba(\"\(f.path)\", split: \"train\").count") == "2")
        #expect(result(s, "Dataset.celeba(\"\(f.path)\", split: \"all\", limit: 4).count") == "4")
        #expect(result(s, "faces.filter(Blond_Hair: \"yes\").count") == "2")
        #expect(result(s, "faces.filter(Blond_Hair: \"yes\", Male: \"yes\").captions") == "[\"scene-000005.png: Blond_Hair, Male\"]")
        #expect(result(s, "faces.filter(Male: \"no\").captions") == "[\"scene-000003.png: Blond_Hair\"]")
        // Without attributes: all 40, each yes or no.
        #expect(result(s, "Dataset.celeba(\"\(f.path)\").filter(Smiling: \"no\").count") == "3")
        #expect(result(s, "faces[0]")?.hasPrefix("Image 224×224: scene-000003.png") == true)
        _ = s.run("let clip = CLIP.load()\nlet probe = clip.probe(Dataset.celeba(\"\(f.path)\", split: \"all\"), label: \"Male\", steps: 20)")
        #expect(result(s, "probe.evaluate(faces, groups: [\"Blond_Hair\", \"Male\"])")?.contains("Blond_Hair=no, Male=yes") == true)
    }

    @Test func kaggleNestedImageFolderIsFound() throws {
        let f = try makeFolder()
        defer { f.cleanUp() }
        try FileManager.default.moveItem(at: f.root.appendingPathComponent("img_align_celeba"), to: f.root.appendingPathComponent("inner"))
        try FileManager.default.createDirectory(at: f.root.appendingPathComponent("img_align_celeba"), withIntermediateDirectories: false)
        try FileManager.default.moveItem(at: f.root.appendingPathComponent("inner"),
                                         to: f.root.appendingPathComponent("img_align_celeba/img_align_celeba"))
        #expect(result(f.session, "Dataset.celeba(\"\(f.path)\")[2]")?.hasPrefix("Image 224×224") == true)
    }

    @Test func errorsNameTheFileAndTheLayout() throws {
        let f = try makeFolder()
        defer { f.cleanUp() }
        let s = f.session
        _ = s.run("let faces = Dataset.celeba(\"\(f.path)\", attributes: [\"Blond_Hair\", \"Male\"])")
        #expect(failure(s, "Dataset.celeba(\"\(f.path)\", attributes: [\"Blond_Hiar\"])")?.message.hasPrefix(
            "CelebA has no attribute 'Blond_Hiar' (did you mean 'Blond_Hair'?)") == true)
        #expect(failure(s, "faces.filter(Male: \"maybe\")")?.message == "'maybe' is not a value of Male; its values are no, yes")
        #expect(failure(s, "faces.filter(Smiling: \"yes\")")?.message
                == "these images have no 'Smiling' attribute; they have 'Blond_Hair:', 'Male:'")

        try f.write(Self.attributeList(value: { row, c in row == 4 && c == 0 ? " 2" : "-1" }), to: "list_attr_celeba.txt")
        #expect(failure(s, "Dataset.celeba(\"\(f.path)\")")?.message
                == "line 7 of \(f.path)/list_attr_celeba.txt: 5_o_Clock_Shadow is '2', expected 1 or -1")

        try f.write(Self.attributeList().replacingOccurrences(of: "6\n", with: "7\n"), to: "list_attr_celeba.txt")
        #expect(failure(s, "Dataset.celeba(\"\(f.path)\")")?.message.contains("declares 7 images on line 1 but lists 6") == true)

        try f.write(Self.attributeList(), to: "list_attr_celeba.txt")
        try f.remove("img_align_celeba/scene-000004.png")
        #expect(failure(s, "Dataset.celeba(\"\(f.path)\")")?.message.hasPrefix(
            "list_attr_celeba.txt lists scene-000004.png but \(f.path)/img_align_celeba/scene-000004.png does not exist") == true)

        try f.remove("list_eval_partition.txt")
        let missing = try #require(failure(s, "Dataset.celeba(\"\(f.path)\")"))
        #expect(missing.kind == .io)
        #expect(missing.message.hasPrefix("no list_eval_partition.txt in \(f.path); a CelebA folder holds list_attr_celeba.txt"))
        #expect(result(s, "faces.count") == "3")
    }
}
