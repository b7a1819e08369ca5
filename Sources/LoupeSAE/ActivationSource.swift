import Foundation
import LoupeFiles
import LoupeSafetensors

/// Where training activations come from: rows of `width` floats, streamed.
/// The CLIP engine supplies one that runs images through the model; Loupe
/// itself provides an in-memory matrix and an on-disk cache.
package protocol ActivationSource: AnyObject {
    /// Floats per row (the residual width, d_in).
    var width: Int { get }
    /// Rows in one pass, when known.
    var rowCount: Int? { get }
    /// Model, layer, site and token choice the rows were taken from.
    var metadata: SAEMetadata { get }
    /// Copies up to `maxRows` rows into `buffer`; returns how many were
    /// written, 0 once the pass is over.
    func read(into buffer: UnsafeMutablePointer<Float>, maxRows: Int) throws -> Int
    /// Starts a new pass from the first row.
    func rewind() throws
}

/// An in-memory row-major [N, width] Float32 matrix.
package final class MatrixActivationSource: ActivationSource {
    package let width: Int
    package let values: [Float]
    package let metadata: SAEMetadata
    private var cursor = 0

    package init(values: [Float], width: Int, metadata: SAEMetadata = SAEMetadata()) throws {
        guard width > 0 else { throw SAEError.invalidSetting("activation width must be positive") }
        guard !values.isEmpty, values.count % width == 0 else {
            throw SAEError.shapeMismatch("an activation matrix of width \(width) needs a non-empty whole number of rows, got \(values.count) values")
        }
        self.values = values; self.width = width; self.metadata = metadata
    }

    package var rowCount: Int? { values.count / width }

    package func read(into buffer: UnsafeMutablePointer<Float>, maxRows: Int) throws -> Int {
        let n = min(maxRows, values.count / width - cursor)
        guard n > 0 else { return 0 }
        values.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress! + cursor * width, count: n * width) }
        cursor += n
        return n
    }

    package func rewind() throws { cursor = 0 }
}

/// Activations cached on disk as a safetensors file with one F32 tensor
/// `activations` [tokens, width] and the model/layer/site/tokens in its
/// metadata. The file is memory-mapped, so a cache larger than memory still
/// streams, and one cache serves any number of training runs.
package final class CachedActivationSource: ActivationSource {
    package static let tensorName = "activations"
    package let file: SafetensorsFile
    package let width: Int
    package let rows: Int
    package let metadata: SAEMetadata
    private let data: UnsafePointer<Float>
    private var cursor = 0

    package init(path: String) throws {
        file = try SafetensorsFile(path: path)
        guard file.has(Self.tensorName) else {
            throw SAEError.unusableFile(path: path, "'\(path)' is not an activation cache: it has no '\(Self.tensorName)' tensor; write one with ActivationCache.write")
        }
        let shape = try file.shape(Self.tensorName)
        guard shape.count == 2, shape[0] > 0, shape[1] > 0 else {
            throw SAEError.unusableFile(path: path, "activation cache '\(path)' holds shape \(shape); expected [tokens, width]")
        }
        rows = shape[0]; width = shape[1]
        data = try file.float32Pointer(Self.tensorName)
        let m = file.metadata
        metadata = try SAEMetadata(cacheFields: m)
    }

    package var rowCount: Int? { rows }

    package func read(into buffer: UnsafeMutablePointer<Float>, maxRows: Int) throws -> Int {
        let n = min(maxRows, rows - cursor)
        guard n > 0 else { return 0 }
        buffer.update(from: data + cursor * width, count: n * width)
        cursor += n
        return n
    }

    package func rewind() throws { cursor = 0 }
}

package enum ActivationCache {
    /// Streams one pass of `source` (at most `maxRows` rows) into a cache
    /// file without holding it in memory: rows go to a scratch file first
    /// (the header needs the final row count), then header and rows are
    /// written under a temporary name and renamed, so the cache appears only
    /// when complete.
    package static func write(_ source: ActivationSource, to path: String, maxRows: Int? = nil, chunkRows: Int = 4096) throws {
        try source.rewind()
        let width = source.width
        let scratch = path + ".rows-\(getpid())"
        _ = FileManager.default.createFile(atPath: scratch, contents: nil)
        defer { unlink(scratch) }
        guard let out = FileHandle(forWritingAtPath: scratch) else {
            throw SAEError.unusableFile(path: scratch, "cannot write '\(scratch)'; check that the folder exists and is writable")
        }
        var chunk = [Float](repeating: 0, count: chunkRows * width)
        var total = 0
        while maxRows.map({ total < $0 }) ?? true {
            let want = min(chunkRows, (maxRows ?? Int.max) - total)
            let n = try chunk.withUnsafeMutableBufferPointer { try source.read(into: $0.baseAddress!, maxRows: want) }
            if n == 0 { break }
            try chunk.withUnsafeBytes { try AtomicFile.writeAll(out.fileDescriptor, UnsafeRawBufferPointer(rebasing: $0[0..<(n * width * 4)])) }
            total += n
        }
        try out.close()
        try source.rewind()
        guard total > 0 else { throw SAEError.empty("the activation source produced no rows; nothing to cache") }

        var meta: [String: String] = ["format": "loupe-activations", "format_version": "1"]
        let m = source.metadata
        if let v = m.model { meta["model"] = v }
        if let v = m.layer { meta["layer"] = String(v) }
        if let v = m.site { meta["site"] = v }
        if let v = m.tokens { meta["tokens"] = v }
        let header = SafetensorsWriter.header([(CachedActivationSource.tensorName, [total, width])], metadata: meta)
        guard let input = FileHandle(forReadingAtPath: scratch) else { throw SAEError.unusableFile(path: scratch, "cannot read back '\(scratch)'") }
        defer { try? input.close() }
        try AtomicFile.write(to: path) { fd in
            try header.withUnsafeBytes { try AtomicFile.writeAll(fd, $0) }
            while true {
                let data = input.readData(ofLength: 1 << 22)
                if data.isEmpty { break }
                try data.withUnsafeBytes { try AtomicFile.writeAll(fd, $0) }
            }
        }
    }
}
