/// Element and byte counts of a shape, checked. Shapes come from files
/// written by strangers (safetensors headers, pickles, cache indexes), and
/// a product of sizes each small enough on its own — [2^39, 2^39] — still
/// overflows `Int`, which traps and takes the session with it. Every
/// product of sizes read from outside goes through here and is refused,
/// not computed, when it cannot be represented.
package enum ShapeSize {
    /// The number of elements, or nil when a size is negative, the product
    /// overflows or passes `limit`. Sizes of 0 count as 1 in that check, so
    /// that every sub-product (rows of [0, 2^62, 4] are 2^64 floats wide)
    /// is representable too: Python's safetensors accepts a few such empty
    /// tensors, which no real file holds.
    package static func elements<S: Sequence<Int>>(_ shape: S, limit: Int = .max) -> Int? {
        var bound = 1, empty = false
        for size in shape {
            guard size >= 0 else { return nil }
            let (product, overflow) = bound.multipliedReportingOverflow(by: max(size, 1))
            guard !overflow, product <= limit else { return nil }
            bound = product
            if size == 0 { empty = true }
        }
        return empty ? 0 : bound
    }

    /// The bytes of `shape` at `elementSize` bytes each, or nil as for `elements`.
    package static func bytes<S: Sequence<Int>>(_ shape: S, elementSize: Int, limit: Int = .max) -> Int? {
        guard elementSize > 0 else { return nil }
        return elements(Array(shape) + [elementSize], limit: limit)
    }

    /// The elements of a shape the program itself built (a tensor's own
    /// shape): one that overflows is a bug here, not bad input, and stops
    /// with the shape in the message.
    package static func requireElements(_ shape: [Int]) -> Int {
        guard let count = elements(shape) else { preconditionFailure("shape \(shape) has no representable element count") }
        return count
    }
}
