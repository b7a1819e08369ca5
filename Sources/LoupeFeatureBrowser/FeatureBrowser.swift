import Foundation
import LoupeDisplay
import LoupeFiles
import LoupeImage
import LoupeRender

/// A static feature browser: one folder of HTML, small PNG thumbnails and
/// nothing else, which opens from disk in any browser with no server and
/// no network. `index.html` lists the latents with a search box over
/// their labels and numbers; `latents/N.html` shows one latent.
///
/// Each image is stored once, as a thumbnail of at most `thumbnailSide`
/// pixels a side; a latent's page highlights where it fires by laying a
/// grid of shaded cells over the thumbnails, so no picture is drawn per
/// latent. The folder's size is therefore about
///     images × (one thumbnail, ≤ 3·96² bytes before PNG compression)
///   + latents × (one page of a few kilobytes) + the index.
package struct FeatureBrowser: Sendable {
    package static let thumbnailSide = 96

    package struct Picture: Sendable {
        /// The model's input (resized and cropped), thumbnailed when written.
        package let image: RGBImage
        package let caption: String
        package init(image: RGBImage, caption: String) { self.image = image; self.caption = caption }
    }

    package struct TopImage: Sendable {
        package let image: Int
        package let peak: Float
        /// The latent on each patch, row by row (grid × grid), or nil without a patch grid.
        package let patches: [Float]?
        package init(image: Int, peak: Float, patches: [Float]?) { self.image = image; self.peak = peak; self.patches = patches }
    }

    package struct Latent: Sendable {
        package let number: Int
        /// Label words, best first, with the confidence of the first; empty when unlabelled.
        package let label: [String]
        package let confidence: Double?
        /// Words its clamping steers towards, when measured.
        package let steering: [String]
        package let density: Double
        package let firing: Int
        package let largest: Float
        package let monosemanticity: Double?
        /// Non-zero activations binned for the histogram: counts and the range they span.
        package let histogram: [Int]
        package let histogramRange: ClosedRange<Float>
        package let top: [TopImage]

        package init(number: Int, label: [String], confidence: Double?, steering: [String], density: Double, firing: Int,
                     largest: Float, monosemanticity: Double?, histogram: [Int], histogramRange: ClosedRange<Float>, top: [TopImage]) {
            self.number = number; self.label = label; self.confidence = confidence; self.steering = steering
            self.density = density; self.firing = firing; self.largest = largest; self.monosemanticity = monosemanticity
            self.histogram = histogram; self.histogramRange = histogramRange; self.top = top
        }
    }

    package let title: String
    /// What the SAE reads and where (shown on every page).
    package let description: String
    package let grid: Int?
    package let pictures: [Picture]
    package let latents: [Latent]

    package init(title: String, description: String, grid: Int?, pictures: [Picture], latents: [Latent]) {
        self.title = title; self.description = description; self.grid = grid; self.pictures = pictures; self.latents = latents
    }

    /// What writing found, for the summary.
    package struct Written: Sendable {
        package let folder: String
        package let files: Int
        package let bytes: Int
    }

    /// Writes the site into `folder`, which must not exist or be empty: an
    /// export never overwrites or mixes with other files. Everything is
    /// written into a hidden folder beside it and renamed into place, so a
    /// failure or a kill leaves no half-written site.
    package func write(to folder: String) throws -> Written {
        let fm = FileManager.default
        let target = (folder as NSString).standardizingPath
        try Self.checkTarget(target)
        let parent = (target as NSString).deletingLastPathComponent
        try fm.createDirectory(atPath: parent.isEmpty ? "." : parent, withIntermediateDirectories: true)
        let staging = ((parent.isEmpty ? "." : parent) as NSString)
            .appendingPathComponent(".\((target as NSString).lastPathComponent).export-\(UUID().uuidString)")
        try fm.createDirectory(atPath: staging + "/images", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: staging + "/latents", withIntermediateDirectories: true)
        do {
            var files = 0, bytes = 0
            func put(_ data: [UInt8], _ relative: String) throws {
                try AtomicFile.write(data, to: (staging as NSString).appendingPathComponent(relative))
                files += 1; bytes += data.count
            }
            for (i, picture) in pictures.enumerated() {
                try put(try Self.thumbnail(picture.image).pngData(), "images/\(i).png")
            }
            try put(Array(Self.style.utf8), "style.css")
            try put(Array(Self.latentScript.utf8), "latent.js")
            try put(Array(indexPage().utf8), "index.html")
            for (position, latent) in latents.enumerated() {
                let previous = position > 0 ? latents[position - 1].number : nil
                let next = position + 1 < latents.count ? latents[position + 1].number : nil
                try put(Array(latentPage(latent, previous: previous, next: next).utf8), "latents/\(latent.number).html")
            }
            if fm.fileExists(atPath: target) { try fm.removeItem(atPath: target) }   // empty, checked above
            try fm.moveItem(atPath: staging, toPath: target)
            return Written(folder: target, files: files, bytes: bytes)
        } catch {
            try? fm.removeItem(atPath: staging)
            throw error
        }
    }

    /// Refuses `folder` unless it does not exist or is an empty folder:
    /// callers check before any work, and `write` again before writing.
    package static func checkTarget(_ folder: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else { throw FeatureBrowserError.notAFolder(folder) }
        let contents = try FileManager.default.contentsOfDirectory(atPath: folder)
        guard contents.isEmpty else { throw FeatureBrowserError.folderNotEmpty(folder, files: contents.count) }
    }

    /// The picture scaled so its longer side is at most `thumbnailSide`.
    static func thumbnail(_ image: RGBImage) -> RGBImage {
        let side = max(image.width, image.height)
        guard side > thumbnailSide else { return image }
        let w = max(1, image.width * thumbnailSide / side), h = max(1, image.height * thumbnailSide / side)
        let pixels = PillowResample.resize(image.pixels, width: image.width, height: image.height, channels: 3, to: w, h, filter: .bicubic)
        return RGBImage(width: w, height: h, pixels: pixels)
    }
}

package enum FeatureBrowserError: Error, CustomStringConvertible {
    case folderNotEmpty(String, files: Int)
    case notAFolder(String)

    package var description: String {
        switch self {
        case .folderNotEmpty(let folder, let files):
            return "\(folder) already holds \(files) file\(files == 1 ? "" : "s"); an export never overwrites. "
                + "Give a new folder, or empty this one yourself."
        case .notAFolder(let path):
            return "\(path) is a file, not a folder; give a new folder for the export"
        }
    }
}
