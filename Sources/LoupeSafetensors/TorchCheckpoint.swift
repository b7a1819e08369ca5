import Foundation
import LoupeTensor

/// A file written by `torch.save` (the zip format): its pickled object and
/// the tensors it refers to, read without running anything from the file.
/// The archive may follow a prefix — saev writes one JSON line before it —
/// which `prefix` then holds.
package final class TorchCheckpoint {
    package let path: String
    package let root: PickleValue
    /// The bytes before the archive (up to and including the first newline), or empty.
    package let prefix: [UInt8]
    private let file: MappedFile
    private let archive: StoredZip
    private let archiveStart: Int

    /// `afterFirstLine`: the archive starts after the file's first newline.
    package init(path: String, afterFirstLine: Bool = false) throws {
        self.path = path
        file = try MappedFile(path: path)
        let bytes = UnsafeRawBufferPointer(start: file.base, count: file.size)
        var start = 0
        if afterFirstLine {
            guard let newline = bytes.firstIndex(of: 0x0A) else {
                throw SafetensorsError(file: path, problem: "has no header line", fix: "Save it again with the library that wrote it.")
            }
            start = newline + 1
        }
        archiveStart = start
        prefix = Array(bytes[0..<start])
        archive = try StoredZip(bytes, startingAt: start, path: path)
        guard let pickle = archive.entry(endingWith: "data.pkl") else {
            throw SafetensorsError(file: path, problem: "is a zip archive without data.pkl, so not a torch.save file",
                                   fix: "Give the checkpoint torch.save wrote.")
        }
        root = try Unpickler(UnsafeRawBufferPointer(rebasing: bytes[pickle.range]), path: path).load()
    }

    /// The tensor's values as Float32, in row-major order of its shape,
    /// following its strides (a transposed view reads correctly). A tensor of
    /// integers is refused: its values are counts, not weights (`integers`).
    package func floats(_ tensor: TorchTensorReference, name: String) throws -> [Float] {
        guard [.f32, .f64, .f16, .bf16].contains(tensor.dtype) else {
            throw SafetensorsError(file: path, tensor: name, problem: "holds \(tensor.dtype.rawValue) values where weights are expected",
                                   fix: "Give the checkpoint the tool wrote; its weights are floating point.")
        }
        return try elements(tensor, name: name) { at, dtype in
            switch dtype {
            case .f32: return at.loadUnaligned(as: Float.self)
            case .f64: return Float(at.loadUnaligned(as: Double.self))
            case .f16: return HalfFloat.fromFloat16Bits(at.loadUnaligned(as: UInt16.self))
            default: return HalfFloat.fromBFloat16Bits(at.loadUnaligned(as: UInt16.self))
            }
        }
    }

    /// The values of a tensor of integers (a buffer such as `k` or
    /// `group_sizes`), in row-major order; a floating-point tensor is refused.
    package func integers(_ tensor: TorchTensorReference, name: String) throws -> [Int] {
        let read: (UnsafeRawPointer, SafetensorsFile.DType) -> Int
        switch tensor.dtype {
        case .i64: read = { at, _ in Int(at.loadUnaligned(as: Int64.self)) }
        case .i32: read = { at, _ in Int(at.loadUnaligned(as: Int32.self)) }
        case .i16: read = { at, _ in Int(at.loadUnaligned(as: Int16.self)) }
        case .i8: read = { at, _ in Int(at.loadUnaligned(as: Int8.self)) }
        case .u8, .bool: read = { at, _ in Int(at.loadUnaligned(as: UInt8.self)) }
        default:
            throw SafetensorsError(file: path, tensor: name, problem: "holds \(tensor.dtype.rawValue) values where integers are expected",
                                   fix: "Give the checkpoint the tool wrote.")
        }
        return try elements(tensor, name: name, read)
    }

    /// Every element of `tensor`, read by `value` from its address, in row-major order of its shape.
    private func elements<T>(_ tensor: TorchTensorReference, name: String,
                             _ value: (UnsafeRawPointer, SafetensorsFile.DType) -> T) throws -> [T] {
        guard let storage = archive.entry(endingWith: "data/" + tensor.storageKey) else {
            throw SafetensorsError(file: path, tensor: name, problem: "refers to storage \(tensor.storageKey), which the archive lacks",
                                   fix: "The file is damaged; save it again.")
        }
        let elementSize = tensor.dtype.size, available = storage.range.count / elementSize
        // Sizes come from the file: every product is checked, and a view may
        // not hold more elements than its storage (state dicts never broadcast).
        let count = ShapeSize.elements(tensor.shape) ?? -1
        var reach = tensor.offset, fits = count >= 0 && tensor.offset >= 0
        for (size, stride) in zip(tensor.shape, tensor.stride) where fits {
            guard stride >= 0 else { fits = false; break }
            let (step, o1) = max(0, size - 1).multipliedReportingOverflow(by: stride)
            let (r, o2) = reach.addingReportingOverflow(step)
            if o1 || o2 { fits = false; break }
            reach = r
        }
        guard fits, count <= available, count == 0 || reach < available else {
            throw SafetensorsError(file: path, tensor: name, problem: "reaches past its storage (shape \(tensor.shape), stride \(tensor.stride))",
                                   fix: "The file is damaged; save it again.")
        }
        let base = UnsafeRawPointer(file.base) + storage.range.lowerBound
        var out: [T] = []
        out.reserveCapacity(count)
        var index = [Int](repeating: 0, count: tensor.shape.count)
        for _ in 0..<count {
            var element = tensor.offset
            for (axis, position) in index.enumerated() { element += position * tensor.stride[axis] }
            out.append(value(base + element * elementSize, tensor.dtype))
            var axis = index.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < tensor.shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return out
    }

    /// A state dict's tensors by name: `root` itself, or the dict under `key` in it.
    package func stateDict(under key: String? = nil) throws -> [String: TorchTensorReference] {
        let dict = key.flatMap { root[$0] } ?? root
        guard case .dict(let pairs) = dict else {
            throw SafetensorsError(file: path, problem: "does not hold a state dict\(key.map { " (nor one under '\($0)')" } ?? "")",
                                   fix: "Save the model's state_dict().")
        }
        var tensors: [String: TorchTensorReference] = [:]
        for (k, v) in pairs { if let name = k.string, case .tensor(let t) = v { tensors[name] = t } }
        return tensors
    }
}
