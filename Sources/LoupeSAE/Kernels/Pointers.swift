/// Raw views of an SAE's or a gradient's arrays, so the kernels can share
/// them across threads without nesting a closure per array.
struct ParameterPointers {
    let wEnc: UnsafeMutablePointer<Float>
    let bEnc: UnsafeMutablePointer<Float>
    let wDec: UnsafeMutablePointer<Float>
    let bDec: UnsafeMutablePointer<Float>
    let threshold: UnsafeMutablePointer<Float>
}

extension ParameterPointers {
    /// Raw pointers to five parameter arrays at once, for `body`'s duration.
    static func with<R>(_ wEnc: inout [Float], _ bEnc: inout [Float], _ wDec: inout [Float], _ bDec: inout [Float],
                        _ threshold: inout [Float], _ body: (ParameterPointers) throws -> R) rethrows -> R {
        try wEnc.withUnsafeMutableBufferPointer { a in
            try bEnc.withUnsafeMutableBufferPointer { b in
                try wDec.withUnsafeMutableBufferPointer { c in
                    try bDec.withUnsafeMutableBufferPointer { d in
                        try threshold.withUnsafeMutableBufferPointer { e in
                            try body(ParameterPointers(wEnc: a.baseAddress!, bEnc: b.baseAddress!, wDec: c.baseAddress!,
                                                       bDec: d.baseAddress!, threshold: e.baseAddress!))
                        }
                    }
                }
            }
        }
    }
}

extension SparseAutoencoder {
    func withPointers<R>(_ body: (ParameterPointers) throws -> R) rethrows -> R {
        try ParameterPointers.with(&wEnc, &bEnc, &wDec, &bDec, &threshold, body)
    }
}

extension SAEGradients {
    func withPointers<R>(_ body: (ParameterPointers) throws -> R) rethrows -> R {
        try ParameterPointers.with(&wEnc, &bEnc, &wDec, &bDec, &threshold, body)
    }
}

/// A fixed-size float buffer owned by a workspace and reused every step.
final class Scratch {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    init(_ count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }
    deinit { pointer.deallocate() }
}
