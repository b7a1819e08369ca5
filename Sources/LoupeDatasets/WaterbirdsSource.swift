import Foundation
import LoupeImage

/// Waterbirds (Sagawa et al. 2020): photographs of birds pasted on land or
/// water backgrounds, read from the standard layout. `metadata.csv` has the
/// columns img_id, img_filename, y (0 landbird, 1 waterbird), split (0 train,
/// 1 val, 2 test) and place (0 land, 1 water); img_filename is relative to
/// the folder. Attributes are words: bird = landbird/waterbird, place =
/// land/water.
package final class WaterbirdsSource: ImageSource, @unchecked Sendable {
    package struct Record {
        let id: String
        let file: String
        let bird: Int
        let place: Int
    }

    package static let attributes = ["bird", "place"]
    package static let birds = ["landbird", "waterbird"]
    package static let places = ["land", "water"]
    package static let columns = ["img_id", "img_filename", "y", "split", "place"]
    package static let layout = "a Waterbirds folder holds metadata.csv (columns img_id, img_filename, y, split, place: "
        + "y 0 landbird / 1 waterbird, split 0 train / 1 val / 2 test, place 0 land / 1 water) "
        + "and the image files it names, relative to the folder (e.g. waterbird_complete95_forest2water2/)"

    package let root: String
    package let split: BenchmarkSplit
    package let records: [Record]
    private let cache = ImageCache()

    package init(root: String, split: BenchmarkSplit, limit: Int?) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DatasetError.unreadable("\(root) is not a folder; \(Self.layout)")
        }
        let metadata = (root as NSString).appendingPathComponent("metadata.csv")
        guard let data = fm.contents(atPath: metadata) else {
            throw DatasetError.unreadable("no metadata.csv in \(root); \(Self.layout)")
        }
        let rows = csvRecords(String(decoding: data, as: UTF8.self))
        guard let header = rows.first?.fields.map({ $0.trimmingCharacters(in: .whitespaces) }) else {
            throw DatasetError.unreadable("\(metadata) is empty; \(Self.layout)")
        }
        var column: [String: Int] = [:]
        for name in Self.columns {
            guard let c = header.firstIndex(of: name) else {
                throw DatasetError.unreadable("\(metadata) has no '\(name)' column (its header is \(header.joined(separator: ","))); \(Self.layout)")
            }
            column[name] = c
        }
        var kept: [Record] = []
        for (line, fields) in rows.dropFirst() {
            func field(_ name: String) throws -> String {
                let c = column[name]!
                guard c < fields.count else {
                    throw DatasetError.unreadable("line \(line) of \(metadata) has \(fields.count) fields, fewer than its header's \(header.count)")
                }
                return fields[c].trimmingCharacters(in: .whitespaces)
            }
            func code(_ name: String, _ valid: ClosedRange<Int>) throws -> Int {
                let text = try field(name)
                // pandas writes integer columns as "1.0" when a column ever held a missing value.
                guard let v = Int(text) ?? Double(text).flatMap({ $0 == $0.rounded() ? Int($0) : nil }), valid.contains(v) else {
                    throw DatasetError.unreadable("line \(line) of \(metadata): \(name) is '\(text)', expected \(valid.lowerBound) to \(valid.upperBound)")
                }
                return v
            }
            guard split.contains(try code("split", 0...2)) else { continue }
            let file = try field("img_filename")
            guard !file.isEmpty else { throw DatasetError.unreadable("line \(line) of \(metadata) has an empty img_filename") }
            kept.append(Record(id: try field("img_id"), file: file, bird: try code("y", 0...1), place: try code("place", 0...1)))
        }
        kept = stratified(kept, limit: limit) { "\($0.bird) \($0.place)" }
        guard !kept.isEmpty else {
            throw DatasetError.unreadable("\(metadata) lists no images in the \(split.rawValue) split")
        }
        // Missing files are reported now, by name, rather than in the middle of an analysis.
        for r in kept where !fm.fileExists(atPath: (root as NSString).appendingPathComponent(r.file)) {
            throw DatasetError.unreadable("\(metadata) names \(r.file) (img_id \(r.id)) but \((root as NSString).appendingPathComponent(r.file)) "
                             + "does not exist; \(Self.layout)")
        }
        self.root = root
        self.split = split
        self.records = kept
    }

    package var description: String { "Waterbirds \(split.rawValue) split at \(root)" }

    package func image(at index: Int) throws -> RGBImage {
        try cache.image(index) {
            do { return try ImageFile.readRGB((root as NSString).appendingPathComponent(records[index].file)) }
            catch { throw DatasetError.unreadable("\(error)") }
        }
    }

    package func identity(at index: Int) -> String { ((root as NSString).appendingPathComponent(records[index].file) as NSString).standardizingPath }

    package func caption(at index: Int) -> String {
        let r = records[index]
        return "\(Self.birds[r.bird]) on \(Self.places[r.place]): \((r.file as NSString).lastPathComponent)"
    }

    package var attributeNames: [String] { Self.attributes }

    package func validValues(of attribute: String) -> [String]? {
        switch attribute {
        case "bird": return Self.birds
        case "place": return Self.places
        default: return nil
        }
    }

    package func matches(_ index: Int, _ attribute: String, _ value: String) throws -> Bool {
        try self.value(index, of: attribute) == value.lowercased()
    }

    package func value(_ index: Int, of attribute: String) throws -> String {
        switch attribute {
        case "bird": return Self.birds[records[index].bird]
        case "place": return Self.places[records[index].place]
        default:
            throw DatasetError.invalid("Waterbirds images have the attributes 'bird' (landbird, waterbird) and 'place' (land, water), not '\(attribute)'")
        }
    }
}
