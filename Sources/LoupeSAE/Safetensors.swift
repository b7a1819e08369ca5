import Foundation
import LoupeFiles
import LoupeJSON

/// One tensor to be written to a safetensors file, always as float32.
public struct NamedTensor {
    public var name: String
    public var shape: [Int]
    public var values: [Float]
    public init(_ name: String, shape: [Int], _ values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "tensor \(name): shape \(shape) does not hold \(values.count) values")
        self.name = name; self.shape = shape; self.values = values
    }
}

/// A safetensors file mapped into memory: an 8-byte little-endian header
/// length, a JSON header naming each tensor's dtype, shape and byte range,
/// then the raw data. Mapping (not reading) lets a multi-gigabyte activation
/// cache be streamed without loading it.
public final class SafetensorsFile {
    public struct Entry {
        public let dtype: String
        public let shape: [Int]
        public let offset: Int     // from the start of the file
        public let byteCount: Int
    }

    public let path: String
    public let entries: [String: Entry]
    public let metadata: [String: String]
    private let base: UnsafeMutableRawPointer
    private let length: Int

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw SAEError("cannot open '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SAEError("cannot read '\(path)'") }
        length = Int(info.st_size)
        guard length >= 8 else { throw SAEError("'\(path)' is not a safetensors file (only \(length) bytes)") }
        guard let mapped = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw SAEError("cannot map '\(path)' into memory: \(String(cString: strerror(errno)))")
        }
        base = mapped
        let headerLength = Int(base.loadUnaligned(as: UInt64.self).littleEndian)
        guard headerLength > 0, 8 + headerLength <= length else {
            munmap(base, length)
            throw SAEError("'\(path)' is not a safetensors file (header length \(headerLength) does not fit in \(length) bytes)")
        }
        let header: JSON
        do {
            header = try JSON.parse(UnsafeRawBufferPointer(start: base + 8, count: headerLength))
        } catch {
            munmap(base, length)
            throw SAEError("'\(path)' has a damaged safetensors header: \(error)")
        }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        let dataStart = 8 + headerLength
        for (name, value) in header.objectValue ?? [:] {
            if name == "__metadata__" {
                for (k, v) in value.objectValue ?? [:] { metadata[k] = v.stringValue ?? v.serialized() }
                continue
            }
            guard let dtype = value["dtype"]?.stringValue,
                  let shape = value["shape"]?.arrayValue?.compactMap({ $0.intValue }),
                  let range = value["data_offsets"]?.arrayValue?.compactMap({ $0.intValue }), range.count == 2,
                  range[0] <= range[1], dataStart + range[1] <= length
            else {
                munmap(base, length)
                throw SAEError("'\(path)': the header entry for '\(name)' is malformed or points past the end of the file")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, offset: dataStart + range[0], byteCount: range[1] - range[0])
        }
        self.entries = entries
        self.metadata = metadata
    }

    deinit { munmap(base, length) }

    public func has(_ name: String) -> Bool { entries[name] != nil }

    public func shape(_ name: String) throws -> [Int] { try entry(name).shape }

    private func entry(_ name: String) throws -> Entry {
        guard let e = entries[name] else {
            let known = entries.keys.sorted().joined(separator: ", ")
            throw SAEError("'\(path)' has no tensor named '\(name)' (it holds: \(known))")
        }
        return e
    }

    /// Raw float32 storage of a tensor, for streaming without a copy.
    public func float32Pointer(_ name: String) throws -> UnsafePointer<Float> {
        let e = try entry(name)
        guard e.dtype == "F32" else { throw SAEError("tensor '\(name)' in '\(path)' is \(e.dtype), not F32") }
        return UnsafeRawPointer(base + e.offset).assumingMemoryBound(to: Float.self)
    }

    /// A tensor's values converted to float32 (F32, F16, BF16 and F64 are read).
    public func floats(_ name: String, shape expected: [Int]? = nil) throws -> [Float] {
        let e = try entry(name)
        if let expected, expected != e.shape {
            throw SAEError("tensor '\(name)' in '\(path)' has shape \(e.shape), expected \(expected)")
        }
        let count = e.shape.reduce(1, *)
        let width: Int
        switch e.dtype {
        case "F32": width = 4
        case "F16", "BF16": width = 2
        case "F64": width = 8
        default: throw SAEError("tensor '\(name)' in '\(path)' has dtype \(e.dtype); only F32, F16, BF16 and F64 are supported")
        }
        guard count * width == e.byteCount else {
            throw SAEError("tensor '\(name)' in '\(path)' holds \(e.byteCount) bytes, but shape \(e.shape) of \(e.dtype) needs \(count * width)")
        }
        let raw = UnsafeRawPointer(base + e.offset)
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { dst in
            switch e.dtype {
            case "F32":
                for i in 0..<count { dst[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            case "F64":
                for i in 0..<count { dst[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
            case "BF16":
                for i in 0..<count {
                    let h = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    dst[i] = Float(bitPattern: UInt32(h) << 16)
                }
            default:
                for i in 0..<count {
                    let h = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    dst[i] = Float(Float16(bitPattern: h))
                }
            }
        }
        return out
    }
}

/// Writes safetensors files (float32 only), atomically.
public enum SafetensorsWriter {
    public static func write(_ tensors: [NamedTensor], metadata: [String: String] = [:], to path: String) throws {
        let head = header(tensors.map { ($0.name, $0.shape) }, metadata: metadata)
        try AtomicFile.write(to: path) { fd in
            try head.withUnsafeBytes { try AtomicFile.writeAll(fd, $0) }
            for t in tensors {
                // float32 in memory is already little-endian on every platform Loupe runs on.
                try t.values.withUnsafeBytes { try AtomicFile.writeAll(fd, $0) }
            }
        }
    }

    /// The 8-byte length and JSON header for F32 tensors laid out in order.
    static func header(_ tensors: [(name: String, shape: [Int])], metadata: [String: String]) -> [UInt8] {
        var header: [String: JSON] = [:]
        var offset = 0
        for t in tensors {
            let bytes = t.shape.reduce(1, *) * 4
            header[t.name] = .object(["dtype": "F32", "shape": .array(t.shape.map { .int($0) }),
                                      "data_offsets": .array([.int(offset), .int(offset + bytes)])])
            offset += bytes
        }
        if !metadata.isEmpty { header["__metadata__"] = .object(metadata.mapValues { .string($0) }) }
        var headerBytes = JSON.object(header).serializedBytes()
        // Pad with spaces so the data starts 8-byte aligned, as the format recommends.
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }
        let length = UInt64(headerBytes.count).littleEndian
        return withUnsafeBytes(of: length) { Array($0) } + headerBytes
    }
}
