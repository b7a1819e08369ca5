import Foundation
import LoupeFiles
import LoupeImage
import LoupeJSON
import LoupeRender

package struct SceneWriteError: Error, CustomStringConvertible, Sendable {
    package let message: String
    package var description: String { message }
}

/// Writes scenes to a folder as PNG files plus scenes.jsonl and scenes.csv.
/// Every file is written under a temporary name and renamed into place, so
/// an interrupted run never leaves a half-written file.
package enum SceneWriter {
    /// File name of scene `index`.
    package static func fileName(_ index: Int) -> String {
        let digits = String(index)
        return "scene-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits + ".png"
    }

    /// Generates and writes scenes 0..<count of `seed`. Scenes are drawn in
    /// parallel batches; after each batch `progress(done, count)` is called
    /// and may return false to stop early, in which case the scenes done so
    /// far are written and listed. Returns the attributes written.
    @discardableResult
    package static func writeScenes(count: Int, seed: UInt64, config: WorldConfig = WorldConfig(), to folder: String,
                                   progress: ((Int, Int) -> Bool)? = nil) throws -> [SceneAttributes] {
        let generator = SceneGenerator(seed: seed, config: config)
        return try write(count: count, to: folder, progress: progress) { try generator.scene(at: $0) }
    }

    /// Writes already-made scenes (e.g. typographic copies), named by position in the array.
    @discardableResult
    package static func write(_ scenes: [Scene], to folder: String) throws -> [SceneAttributes] {
        try write(count: scenes.count, to: folder, progress: nil) { scenes[$0] }
    }

    /// Writes `count` scenes made by `make(i)` as scene-00000i.png, in
    /// parallel batches, then the metadata files. `progress(done, total)`
    /// returning false stops early, keeping what is written.
    package static func write(count: Int, to folder: String, progress: ((Int, Int) -> Bool)?,
                             make: @escaping @Sendable (Int) throws -> Scene) throws -> [SceneAttributes] {
        guard count >= 0 else { throw SceneWriteError(message: "scene count must not be negative (got \(count))") }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let batch = 64
        var written: [SceneAttributes] = []
        var start = 0
        while start < count {
            let end = min(count, start + batch)
            let results = Slots<Result<SceneAttributes, Error>>(count: end - start)
            DispatchQueue.concurrentPerform(iterations: end - start) { k in
                let i = start + k
                results[k] = Result {
                    let scene = try make(i)
                    try AtomicFile.write(scene.image.pngData(), to: (folder as NSString).appendingPathComponent(fileName(i)))
                    return scene.attributes
                }
            }
            for r in results.values { written.append(try r!.get()) }
            start = end
            if let progress, !progress(end, count) { break }
        }
        var jsonl = "", csv = SceneMetadata.csvHeader + "\n"
        for (i, a) in written.enumerated() {
            jsonl += SceneMetadata.json(a, file: fileName(i)).serialized() + "\n"
            csv += SceneMetadata.csvLine(a, file: fileName(i)) + "\n"
        }
        try AtomicFile.write(Array(jsonl.utf8), to: (folder as NSString).appendingPathComponent("scenes.jsonl"))
        try AtomicFile.write(Array(csv.utf8), to: (folder as NSString).appendingPathComponent("scenes.csv"))
        return written
    }
}

/// Fixed-size result slots filled from concurrent workers, each writing only its own index.
private final class Slots<T>: @unchecked Sendable {
    private var storage: [T?]
    private let lock = NSLock()
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    subscript(i: Int) -> T? {
        get { lock.lock(); defer { lock.unlock() }; return storage[i] }
        set { lock.lock(); storage[i] = newValue; lock.unlock() }
    }
    var values: [T?] { lock.lock(); defer { lock.unlock() }; return storage }
}
