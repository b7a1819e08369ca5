import Foundation
import LoupeImage

/// CelebA (Liu et al. 2015): aligned face photographs with 40 binary
/// attributes, read from the standard layout: `list_attr_celeba.txt` (line 1
/// the image count, line 2 the attribute names, then `filename v1 ... v40`
/// with values 1 or -1), `list_eval_partition.txt` (`filename 0|1|2`: train,
/// val, test) and the images under `img_align_celeba/`. Attributes are
/// words: yes or no.
package final class CelebASource: ImageSource, @unchecked Sendable {
    /// The 40 attribute names of the official release, in file order.
    package static let standardAttributes = [
        "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs", "Big_Lips", "Big_Nose",
        "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows", "Chubby", "Double_Chin", "Eyeglasses",
        "Goatee", "Gray_Hair", "Heavy_Makeup", "High_Cheekbones", "Male", "Mouth_Slightly_Open", "Mustache",
        "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin", "Pointy_Nose", "Receding_Hairline", "Rosy_Cheeks",
        "Sideburns", "Smiling", "Straight_Hair", "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat", "Wearing_Lipstick",
        "Wearing_Necklace", "Wearing_Necktie", "Young",
    ]
    package static let values = ["no", "yes"]
    package static let layout = "a CelebA folder holds list_attr_celeba.txt (line 1 the image count, line 2 the 40 attribute names, "
        + "then 'filename v1 ... v40' with values 1 or -1), list_eval_partition.txt ('filename 0|1|2' for train, val, test) "
        + "and the images in img_align_celeba/"

    package let root: String
    package let imageFolder: String
    package let split: BenchmarkSplit
    /// The attributes this dataset keeps, in the order asked for.
    package let attributes: [String]
    package let files: [String]
    /// values[i][a]: image i has attribute attributes[a].
    package let values: [[Bool]]
    private let cache = ImageCache()

    package init(root: String, split: BenchmarkSplit, limit: Int?, attributes wanted: [String]?) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DatasetError.unreadable("\(root) is not a folder; \(Self.layout)")
        }
        func path(_ name: String) -> String { (root as NSString).appendingPathComponent(name) }
        func read(_ name: String) throws -> [UInt8] {
            guard let data = fm.contents(atPath: path(name)) else {
                let kaggle = fm.fileExists(atPath: path((name as NSString).deletingPathExtension + ".csv"))
                    ? " (found the .csv variant of it; the loader reads the original .txt files)" : ""
                throw DatasetError.unreadable("no \(name) in \(root)\(kaggle); \(Self.layout)")
            }
            return [UInt8](data)
        }
        var images = path("img_align_celeba")
        guard fm.fileExists(atPath: images, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DatasetError.unreadable("no img_align_celeba folder in \(root); \(Self.layout)")
        }
        // Some mirrors unpack the archive into img_align_celeba/img_align_celeba.
        let nested = (images as NSString).appendingPathComponent("img_align_celeba")
        if fm.fileExists(atPath: nested, isDirectory: &isDirectory), isDirectory.boolValue { images = nested }

        let partitionName = "list_eval_partition.txt", attributeName = "list_attr_celeba.txt"
        var partition: [String: Int] = [:]
        for (line, words) in whitespaceLines(try read(partitionName)) {
            guard words.count == 2, let code = Int(words[1]), (0...2).contains(code) else {
                throw DatasetError.unreadable("line \(line) of \(path(partitionName)) is not 'filename 0|1|2'")
            }
            partition[words[0]] = code
        }

        let lines = whitespaceLines(try read(attributeName))
        guard lines.count >= 2, lines[0].words.count == 1, let declared = Int(lines[0].words[0]) else {
            throw DatasetError.unreadable("\(path(attributeName)) does not start with an image count and a line of attribute names; \(Self.layout)")
        }
        let names = lines[1].words
        var columns = Array(names.indices)
        if let wanted {
            columns = try wanted.map { name in
                guard let c = names.firstIndex(of: name) else {
                    throw DatasetError.unknownAttribute(name, subject: "CelebA", known: names)
                }
                return c
            }
        }
        var kept: [(file: String, values: [Bool])] = []
        for (line, words) in lines.dropFirst(2) {
            guard words.count == names.count + 1 else {
                throw DatasetError.unreadable("line \(line) of \(path(attributeName)) has \(words.count - 1) values; the header names \(names.count) attributes")
            }
            guard let code = partition[words[0]] else {
                throw DatasetError.unreadable("\(words[0]) is in \(attributeName) but not in \(partitionName); are both from the same release?")
            }
            guard split.contains(code) else { continue }
            kept.append((words[0], try columns.map { c in
                switch words[c + 1] {
                case "1": return true
                case "-1", "0": return false
                case let v: throw DatasetError.unreadable("line \(line) of \(path(attributeName)): \(names[c]) is '\(v)', expected 1 or -1")
                }
            }))
        }
        guard lines.count - 2 == declared else {
            throw DatasetError.unreadable("\(path(attributeName)) declares \(declared) images on line 1 but lists \(lines.count - 2); is it complete?")
        }
        // Groups are the combinations of the attributes kept (all of them
        // only when few were asked for: 40 attributes make no groups).
        let groupColumns = columns.count <= 3 ? Array(columns.indices) : []
        kept = stratified(kept, limit: limit) { k in groupColumns.map { k.values[$0] ? "1" : "0" }.joined() }
        guard !kept.isEmpty else { throw DatasetError.unreadable("\(path(partitionName)) puts no images in the \(split.rawValue) split") }
        for k in kept where !fm.fileExists(atPath: (images as NSString).appendingPathComponent(k.file)) {
            throw DatasetError.unreadable("\(attributeName) lists \(k.file) but \((images as NSString).appendingPathComponent(k.file)) does not exist; \(Self.layout)")
        }
        self.root = root
        self.imageFolder = images
        self.split = split
        self.attributes = columns.map { names[$0] }
        self.files = kept.map(\.file)
        self.values = kept.map(\.values)
    }

    package var description: String { "CelebA \(split.rawValue) split at \(root) (\(attributes.count) attributes)" }

    package func image(at index: Int) throws -> RGBImage {
        try cache.image(index) {
            do { return try ImageFile.readRGB((imageFolder as NSString).appendingPathComponent(files[index])) }
            catch { throw DatasetError.unreadable("\(error)") }
        }
    }

    package func identity(at index: Int) -> String { ((imageFolder as NSString).appendingPathComponent(files[index]) as NSString).standardizingPath }

    /// The file name and, when few attributes are kept, the ones it has.
    package func caption(at index: Int) -> String {
        guard attributes.count <= 4 else { return files[index] }
        let yes = attributes.indices.filter { values[index][$0] }.map { attributes[$0] }
        return files[index] + ": " + (yes.isEmpty ? "none of " + attributes.joined(separator: ", ") : yes.joined(separator: ", "))
    }

    package var attributeNames: [String] { attributes }
    package func validValues(of attribute: String) -> [String]? { attributes.contains(attribute) ? Self.values : nil }

    package func matches(_ index: Int, _ attribute: String, _ value: String) throws -> Bool {
        try self.value(index, of: attribute) == value.lowercased()
    }

    package func value(_ index: Int, of attribute: String) throws -> String {
        guard let a = attributes.firstIndex(of: attribute) else {
            throw DatasetError.unknownAttribute(attribute, subject: "these CelebA images", known: attributes)
        }
        return values[index][a] ? "yes" : "no"
    }
}

/// The non-empty lines of a text file as whitespace-separated words, with
/// their 1-based line numbers. CelebA's lists pad columns with runs of spaces.
package func whitespaceLines(_ bytes: [UInt8]) -> [(line: Int, words: [String])] {
    var out: [(line: Int, words: [String])] = []
    var words: [String] = []
    var start = -1, line = 1
    func endWord(_ i: Int) {
        if start >= 0 { words.append(String(decoding: bytes[start..<i], as: UTF8.self)); start = -1 }
    }
    for i in 0...bytes.count {
        let b: UInt8 = i < bytes.count ? bytes[i] : 0x0A
        switch b {
        case 0x0A:
            endWord(i)
            if !words.isEmpty { out.append((line, words)); words = [] }
            line += 1
        case 0x20, 0x09, 0x0D: endWord(i)
        default: if start < 0 { start = i }
        }
    }
    return out
}
