import Foundation

/// Memory behind a tensor: either a 64-byte aligned buffer this process
/// allocated, or a borrowed region (e.g. a memory-mapped checkpoint) kept
/// alive by `owner`. Borrowed regions may be read-only pages: never write
/// through the pointer of a tensor you did not allocate.
package final class TensorStorage: @unchecked Sendable {
    package let pointer: UnsafeMutablePointer<Float>
    package let count: Int
    private let owner: AnyObject?
    private let allocated: Bool

    /// A buffer of `count` floats, zero-filled unless `zeroed` is false (for
    /// buffers every element of which is written before it is read).
    package init(count: Int, zeroed: Bool = true) {
        precondition(count >= 0, "tensor size must be non-negative")
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        var raw: UnsafeMutableRawPointer?
        // 64-byte alignment keeps SIMD loads and BLAS panels on cache lines.
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            fatalError("out of memory allocating \(bytes) bytes for a tensor")
        }
        if zeroed { memset(raw, 0, bytes) }
        self.pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
        self.owner = nil
        self.allocated = true
    }

    /// Wraps memory owned by someone else; `owner` is retained for as long
    /// as this storage lives.
    package init(borrowing pointer: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        self.pointer = pointer
        self.count = count
        self.owner = owner
        self.allocated = false
    }

    deinit { if allocated { free(pointer) } }
}

/// A dense, row-major Float32 tensor. Value semantics are not enforced:
/// tensors share storage when copied, and kernels write through `pointer`
/// explicitly, which keeps the hot loops free of copy-on-write checks.
package struct Tensor: @unchecked Sendable, CustomStringConvertible {
    package let shape: [Int]
    package let storage: TensorStorage

    package var count: Int { ShapeSize.requireElements(shape) }
    package var rank: Int { shape.count }
    /// The first element. Valid only while this tensor (or its storage) is
    /// alive: hold the tensor in a named variable, or use
    /// `withExtendedLifetime`, never read it off a temporary.
    package var pointer: UnsafeMutablePointer<Float> { storage.pointer }

    /// A zero-filled tensor.
    package init(zeros shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.storage = TensorStorage(count: ShapeSize.requireElements(shape))
    }

    /// A tensor whose contents are undefined until written: for outputs and
    /// scratch space that a kernel fills completely.
    package init(uninitialized shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.storage = TensorStorage(count: ShapeSize.requireElements(shape), zeroed: false)
    }

    /// A tensor holding `values` (row-major) with the given shape.
    package init(shape: [Int], values: [Float]) {
        precondition(ShapeSize.elements(shape) == values.count,
                     "shape \(shape) needs \(ShapeSize.elements(shape).map(String.init) ?? "too many") values, got \(values.count)")
        self.init(zeros: shape)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    /// A tensor over existing storage (no copy).
    package init(shape: [Int], storage: TensorStorage) {
        precondition(ShapeSize.requireElements(shape) <= storage.count, "shape \(shape) exceeds storage of \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// The same storage seen with another shape of equal size.
    package func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(ShapeSize.elements(newShape) == count, "cannot reshape \(shape) to \(newShape)")
        return Tensor(shape: newShape, storage: storage)
    }

    /// A copy of the elements as an array.
    package func toArray() -> [Float] {
        Array(UnsafeBufferPointer(start: pointer, count: count))
    }

    /// A deep copy with its own storage.
    package func copy() -> Tensor {
        let t = Tensor(zeros: shape)
        t.pointer.update(from: pointer, count: count)
        return t
    }

    package subscript(_ index: Int...) -> Float {
        get { pointer[flatIndex(index)] }
        nonmutating set { pointer[flatIndex(index)] = newValue }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) has wrong rank for shape \(shape)")
        var flat = 0
        for (i, d) in zip(index, shape) {
            precondition(i >= 0 && i < d, "index \(index) out of range for shape \(shape)")
            flat = flat * d + i
        }
        return flat
    }

    /// Rows [start, start+count) of the leading dimension, copied.
    package func rows(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0], "row range out of bounds")
        let inner = ShapeSize.requireElements(Array(shape.dropFirst()))
        let t = Tensor(zeros: [range.count] + shape.dropFirst())
        t.pointer.update(from: pointer + range.lowerBound * inner, count: range.count * inner)
        return t
    }

    /// Stacks tensors of equal trailing shape along the leading dimension.
    package static func concatenate(_ parts: [Tensor]) -> Tensor {
        guard let first = parts.first else { return Tensor(zeros: [0]) }
        let tail = Array(first.shape.dropFirst())
        precondition(parts.allSatisfy { Array($0.shape.dropFirst()) == tail }, "concatenate needs equal trailing shapes")
        let out = Tensor(zeros: [parts.reduce(0) { $0 + $1.shape[0] }] + tail)
        var offset = 0
        for p in parts {
            (out.pointer + offset).update(from: p.pointer, count: p.count)
            offset += p.count
        }
        return out
    }

    package var description: String {
        let preview = (0..<min(count, 6)).map { String(format: "%.4g", pointer[$0]) }.joined(separator: ", ")
        return "Tensor\(shape) [\(preview)\(count > 6 ? ", …" : "")]"
    }
}
