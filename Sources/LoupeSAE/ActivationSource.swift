import Foundation

/// Where training activations come from: rows of `width` floats, streamed.
/// The CLIP engine supplies one that runs images through the model; Loupe
/// itself provides an in-memory matrix and an on-disk cache.
public protocol ActivationSource: AnyObject {
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
public final class MatrixActivationSource: ActivationSource {
    public let width: Int
    public let values: [Float]
    public let metadata: SAEMetadata
    private var cursor = 0

    public init(values: [Float], width: Int, metadata: SAEMetadata = SAEMetadata()) throws {
        guard width > 0 else { throw SAEError("activation width must be positive") }
        guard !values.isEmpty, values.count % width == 0 else {
            throw SAEError("an activation matrix of width \(width) needs a non-empty whole number of rows, got \(values.count) values")
        }
        self.values = values; self.width = width; self.metadata = metadata
    }

    public var rowCount: Int? { values.count / width }

    public func read(into buffer: UnsafeMutablePointer<Float>, maxRows: Int) throws -> Int {
        let n = min(maxRows, values.count / width - cursor)
        guard n > 0 else { return 0 }
        values.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress! + cursor * width, count: n * width) }
        cursor += n
        return n
    }

    public func rewind() throws { cursor = 0 }
}

/// Activations cached on disk as a safetensors file with one F32 tensor
/// `activations` [tokens, width] and the model/layer/site/tokens in its
/// metadata. The file is memory-mapped, so a cache larger than memory still
/// streams, and one cache serves any number of training runs.
public final class CachedActivationSource: ActivationSource {
    public static let tensorName = "activations"
    public let file: SafetensorsFile
    public let width: Int
    public let rows: Int
    public let metadata: SAEMetadata
    private let data: UnsafePointer<Float>
    private var cursor = 0

    public init(path: String) throws {
        file = try SafetensorsFile(path: path)
        guard file.has(Self.tensorName) else {
            throw SAEError("'\(path)' is not an activation cache: it has no '\(Self.tensorName)' tensor; write one with ActivationCache.write")
        }
        let shape = try file.shape(Self.tensorName)
        guard shape.count == 2, shape[0] > 0, shape[1] > 0 else {
            throw SAEError("activation cache '\(path)' holds shape \(shape); expected [tokens, width]")
        }
        rows = shape[0]; width = shape[1]
        data = try file.float32Pointer(Self.tensorName)
        let m = file.metadata
        metadata = SAEMetadata(model: m["model"], layer: m["layer"].flatMap { Int($0) }, site: m["site"], tokens: m["tokens"])
    }

    public var rowCount: Int? { rows }

    public func read(into buffer: UnsafeMutablePointer<Float>, maxRows: Int) throws -> Int {
        let n = min(maxRows, rows - cursor)
        guard n > 0 else { return 0 }
        buffer.update(from: data + cursor * width, count: n * width)
        cursor += n
        return n
    }

    public func rewind() throws { cursor = 0 }
}

public enum ActivationCache {
    /// Streams one pass of `source` (at most `maxRows` rows) into a cache file.
    /// The file appears only when complete.
    public static func write(_ source: ActivationSource, to path: String, maxRows: Int? = nil, chunkRows: Int = 4096) throws {
        try source.rewind()
        var values: [Float] = []
        var chunk = [Float](repeating: 0, count: chunkRows * source.width)
        var total = 0
        while maxRows.map({ total < $0 }) ?? true {
            let want = min(chunkRows, (maxRows ?? Int.max) - total)
            let n = try chunk.withUnsafeMutableBufferPointer { try source.read(into: $0.baseAddress!, maxRows: want) }
            if n == 0 { break }
            values += chunk[0..<(n * source.width)]
            total += n
        }
        guard total > 0 else { throw SAEError("the activation source produced no rows; nothing to cache") }
        var meta: [String: String] = ["format": "loupe-activations", "format_version": "1"]
        let m = source.metadata
        if let v = m.model { meta["model"] = v }
        if let v = m.layer { meta["layer"] = String(v) }
        if let v = m.site { meta["site"] = v }
        if let v = m.tokens { meta["tokens"] = v }
        try SafetensorsWriter.write([NamedTensor(CachedActivationSource.tensorName, shape: [total, source.width], values)],
                                    metadata: meta, to: path)
        try source.rewind()
    }
}
