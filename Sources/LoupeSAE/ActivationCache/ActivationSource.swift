import Foundation
import LoupeFiles
import LoupeSafetensors
import LoupeTensor

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

/// Activations in one safetensors file: Loupe's own (`acts.save`, or
/// `ActivationCache.write`: a tensor `activations` with model, layer, site
/// and tokens in the metadata) or one written by Python, whose only tensor
/// (or its `activations` tensor) is [rows, width] or [images, tokens,
/// width] in F32, F16 or BF16. Rows are read with `pread`, so a file larger
/// than memory streams without staying resident.
package final class CachedActivationSource: ActivationSource {
    package static let tensorName = "activations"
    package let width: Int
    package let rows: Int
    /// [images, tokens] when the file keeps images apart, else nil.
    package let imageShape: [Int]?
    package let metadata: SAEMetadata
    private let reader: TensorRowReader
    private var cursor = 0

    package init(path: String) throws {
        let file = try SafetensorsFile(path: path)
        let name: String
        if file.has(Self.tensorName) {
            name = Self.tensorName
        } else if file.entries.count == 1 {
            name = file.entries.keys.first!
        } else {
            throw SAEError.unusableFile(path: path, "'\(path)' is not an activation cache: it holds \(file.entries.count) tensors "
                + "(\(file.entries.keys.sorted().prefix(4).joined(separator: ", "))) and none is named '\(Self.tensorName)'; "
                + "save the activations alone, or under that name")
        }
        let entry = try file.entry(name)
        guard (2...3).contains(entry.shape.count) else {
            throw SAEError.unusableFile(path: path, "activation file '\(path)' holds '\(name)' with shape \(entry.shape); expected [rows, width] or [images, tokens, width]")
        }
        reader = try TensorRowReader(path: path, entry: entry)
        rows = reader.rows; width = reader.width
        imageShape = entry.shape.count == 3 ? Array(entry.shape.prefix(2)) : nil
        metadata = try SAEMetadata(cacheFields: file.metadata)
    }

    package var rowCount: Int? { rows }

    package func read(into buffer: UnsafeMutablePointer<Float>, maxRows: Int) throws -> Int {
        let n = min(maxRows, rows - cursor)
        guard n > 0 else { return 0 }
        try reader.read(rows: cursor, count: n, into: buffer)
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
    /// `shape`, when given, is the tensor's shape in the file ([images,
    /// tokens, width]); it must hold exactly the rows written.
    package static func write(_ source: ActivationSource, to path: String, maxRows: Int? = nil, shape: [Int]? = nil,
                              chunkRows: Int = 4096) throws {
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
        if let shape, ShapeSize.elements(shape) != total * width {
            throw SAEError.shapeMismatch("the activation source gave \(total) rows of \(width), which is not \(shape)")
        }
        let header = SafetensorsWriter.header([(CachedActivationSource.tensorName, shape ?? [total, width])], metadata: meta)
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
