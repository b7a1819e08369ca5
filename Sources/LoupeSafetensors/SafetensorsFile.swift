import Foundation
import LoupeJSON
import LoupeTensor

/// A `.safetensors` checkpoint: an 8-byte little-endian header length, a
/// JSON header naming each tensor's dtype, shape and byte range, then the
/// raw data. The header is validated when the file is opened, as Python's
/// safetensors validates it (`SafetensorsHeader`), so a corrupt or truncated
/// file is refused up front rather than crashing a forward pass or being
/// read with its tensors shifted.
package final class SafetensorsFile: @unchecked Sendable {
    /// Every dtype the safetensors format defines; only the floating-point
    /// ones can be read as weights, the rest are validated and skipped.
    package enum DType: String, Sendable {
        case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64"
        case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8"
        case bool = "BOOL", f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"
        package var size: Int {
            switch self {
            case .f64, .i64, .u64: return 8
            case .f32, .i32, .u32: return 4
            case .f16, .bf16, .i16, .u16: return 2
            case .i8, .u8, .bool, .f8e4m3, .f8e5m2: return 1
            }
        }
    }

    package struct Entry: Sendable {
        package let name: String
        package let dtype: DType
        package let shape: [Int]
        /// Absolute offset of the data in the file, and its length in bytes.
        package let offset: Int
        package let length: Int
        /// Elements in the tensor (its shape's product, checked when the header was read).
        package var count: Int { length / dtype.size }
    }

    package let path: String
    package let entries: [String: Entry]
    /// The header's `__metadata__` strings (e.g. an embedded model config).
    package let metadata: [String: String]
    package let file: MappedFile

    /// Bytes of the whole file.
    package var fileSize: Int { file.size }

    /// Opens and validates a safetensors file (memory-mapped, nothing copied).
    package init(path: String) throws {
        self.path = path
        let file = try MappedFile(path: path)
        self.file = file
        let redo = "Re-download or re-export it (safetensors.torch.save_file)."
        guard file.size >= 8 else {
            throw SafetensorsError(file: path, problem: "only \(file.size) bytes: not a safetensors file (too short for its header)",
                                   fix: "The file is truncated or of another kind. \(redo)")
        }
        // PyTorch's own checkpoints (.pt/.bin) are zip archives or raw pickles.
        // A safetensors header always starts with '{' at byte 8, so that
        // check keeps a legitimate header length from looking like a magic.
        let magic = (0..<2).map { file.base.load(fromByteOffset: $0, as: UInt8.self) }
        let jsonStart = file.size > 8 && file.base.load(fromByteOffset: 8, as: UInt8.self) == UInt8(ascii: "{")
        if !jsonStart && (magic == [0x50, 0x4B] || (magic[0] == 0x80 && (2...5).contains(magic[1]))) {
            throw SafetensorsError(file: path, problem: "this is a PyTorch pickle checkpoint (.pt/.bin), not safetensors",
                            fix: "Convert it: python -c \"import torch, safetensors.torch as s; s.save_file(torch.load('in.pt', map_location='cpu'), 'out.safetensors')\" (for open_clip files, save the state_dict).")
        }
        let header = try SafetensorsHeader(UnsafeRawBufferPointer(start: file.base, count: file.size), path: path)
        entries = header.entries
        metadata = header.metadata
    }

    /// Whether the file holds a tensor of that name.
    package func has(_ name: String) -> Bool { entries[name] != nil }

    /// The tensor as Float32. Aligned F32 data is used in place from the
    /// mapped file; F16/BF16 (or misaligned F32) is converted into new memory.
    package func tensor(_ name: String, shape expected: [Int]? = nil) throws -> Tensor {
        let e = try entry(name)
        if let expected, expected != e.shape {
            throw SafetensorsError(file: path, tensor: name, problem: "has shape \(e.shape) but \(expected) was expected",
                                   fix: "The file is inconsistent with the rest of the model (mixed models, or a config that disagrees with the tensors); re-export it.")
        }
        let count = e.count
        let src = file.base + e.offset
        switch e.dtype {
        case .f32:
            if Int(bitPattern: src) % MemoryLayout<Float>.alignment == 0 {
                let p = UnsafeMutablePointer(mutating: src.assumingMemoryBound(to: Float.self))
                return Tensor(shape: e.shape, storage: TensorStorage(borrowing: p, count: count, owner: file))
            }
            let t = Tensor(zeros: e.shape)
            memcpy(t.pointer, src, count * 4)
            return t
        case .f16, .bf16:
            let t = Tensor(zeros: e.shape)
            HalfFloat.convert(src, count: count, bfloat: e.dtype == .bf16, into: t.pointer)
            return t
        case .f64:
            let t = Tensor(zeros: e.shape)
            for i in 0..<count { t.pointer[i] = Float(src.loadUnaligned(fromByteOffset: i * 8, as: Double.self)) }
            return t
        default:
            throw SafetensorsError(file: path, tensor: name, problem: "has dtype \(e.dtype.rawValue) where float32, float16 or bfloat16 weights are needed",
                            fix: "Re-export the checkpoint with floating-point weights.")
        }
    }
}

extension SafetensorsFile {
    /// The raw bytes of a tensor (any dtype), e.g. 8-bit image data.
    package func bytes(_ name: String) throws -> [UInt8] {
        let e = try entry(name)
        return Array(UnsafeRawBufferPointer(start: file.base + e.offset, count: e.length))
    }

    package func shape(_ name: String) throws -> [Int] { try entry(name).shape }

    /// A tensor's values as a Float array (F32, F16, BF16 and F64 are read).
    package func floats(_ name: String, shape expected: [Int]? = nil) throws -> [Float] {
        let t = try tensor(name, shape: expected)
        return Array(UnsafeBufferPointer(start: t.pointer, count: t.count))
    }

    /// Float32 data used in place, for streaming a large file without a copy.
    package func float32Pointer(_ name: String) throws -> UnsafePointer<Float> {
        let e = try entry(name)
        guard e.dtype == .f32 else {
            throw SafetensorsError(file: path, tensor: name, problem: "is \(e.dtype.rawValue), not F32", fix: "Write it as float32.")
        }
        guard Int(bitPattern: file.base + e.offset) % MemoryLayout<Float>.alignment == 0 else {
            throw SafetensorsError(file: path, tensor: name, problem: "its data is not 4-byte aligned", fix: "Re-write the file with safetensors.")
        }
        return (file.base + e.offset).assumingMemoryBound(to: Float.self)
    }

    package func entry(_ name: String) throws -> Entry {
        guard let e = entries[name] else {
            throw SafetensorsError(file: path, tensor: name, problem: "missing",
                                   fix: "The file lacks a tensor that is needed; check that it is complete and of the expected layout "
                                       + "(it holds \(entries.count) tensors: \(entries.keys.sorted().prefix(8).joined(separator: ", "))\(entries.count > 8 ? ", ..." : "")).")
        }
        return e
    }
}
