import Foundation
import LoupeImage

/// Image files from a folder: either class sub-folders (ImageFolder layout,
/// the sub-folder name is the `label`) or a flat folder of PNG and JPEG files.
package final class FolderSource: ImageSource, @unchecked Sendable {
    package let root: String
    package let files: [String]
    package let labels: [String?]
    /// Bounded: a folder can hold more full-size photos than memory, and
    /// `clip.activations` streams through all of them.
    private let cache = ImageCache(capacity: 512)
    package static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    package init(root: String, limit: Int?) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DatasetError.unreadable("\(root) is not a folder; give a folder of PNG or JPEG files, or of class sub-folders")
        }
        var found: [(String, String?)] = []
        let entries = try fm.contentsOfDirectory(atPath: root).sorted()
        for entry in entries where !entry.hasPrefix(".") {
            let path = (root as NSString).appendingPathComponent(entry)
            var sub: ObjCBool = false
            if fm.fileExists(atPath: path, isDirectory: &sub), sub.boolValue {
                let inner = (try? fm.contentsOfDirectory(atPath: path).sorted()) ?? []
                for file in inner where FolderSource.isImage(file) {
                    found.append(((path as NSString).appendingPathComponent(file), entry))
                }
            } else if FolderSource.isImage(entry) {
                found.append((path, nil))
            }
        }
        if let limit { found = Array(found.prefix(limit)) }
        guard !found.isEmpty else {
            throw DatasetError.unreadable("no PNG or JPEG files in \(root) or its sub-folders")
        }
        // Absolute and tidy ("data/val/" and "./data/val" are one folder), so an
        // activation cache written from a notebook and one from `loupe cache`
        // name the same images the same way.
        self.root = URL(fileURLWithPath: root).standardizedFileURL.path
        self.files = found.map(\.0)
        self.labels = found.map(\.1)
    }

    package static func isImage(_ name: String) -> Bool { extensions.contains((name as NSString).pathExtension.lowercased()) }

    package var description: String {
        let classes = Set(labels.compactMap { $0 }).count
        return root + (classes > 0 ? " (\(classes) classes)" : "")
    }

    package func image(at index: Int) throws -> RGBImage {
        try cache.image(index) {
            do { return try ImageFile.readRGB(files[index]) } catch { throw DatasetError.unreadable("\(error)") }
        }
    }

    package func identity(at index: Int) -> String { (files[index] as NSString).standardizingPath }

    package func caption(at index: Int) -> String {
        let name = (files[index] as NSString).lastPathComponent
        return labels[index].map { "\($0): \(name)" } ?? name
    }

    package var attributeNames: [String] { ["label"] }
    package func validValues(of attribute: String) -> [String]? {
        attribute == "label" ? Array(Set(labels.compactMap { $0 })).sorted() : nil
    }
    package func matches(_ index: Int, _ attribute: String, _ value: String) throws -> Bool {
        guard attribute == "label" else {
            throw DatasetError.invalid("images from a folder have only a 'label' (their sub-folder), not '\(attribute)'")
        }
        return labels[index] == value
    }
    package func value(_ index: Int, of attribute: String) throws -> String {
        guard attribute == "label", let label = labels[index] else {
            throw DatasetError.invalid("images from a folder have a 'label' only when they sit in class sub-folders")
        }
        return label
    }
}
