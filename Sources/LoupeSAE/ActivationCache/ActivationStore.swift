/// Streams training batches from a source through a shuffle buffer, so that
/// neighbouring rows (patches of one image, say) are spread across batches.
/// The buffer is refilled from the source whenever it falls below its
/// capacity; each batch row is drawn uniformly from what the buffer holds.
/// The source is rewound when it runs out. Everything is a function of the
/// seed and the number of batches drawn, which is what makes resuming from a
/// checkpoint exact.
package final class ActivationStore {
    package let source: ActivationSource
    package let batchSize: Int
    package let capacity: Int
    package private(set) var batchesDrawn = 0
    private var buffer: [Float]
    private var held = 0
    private var rng: SeededRandom
    private let width: Int

    package init(source: ActivationSource, batchSize: Int, bufferBatches: Int = 8, seed: UInt64) throws {
        guard batchSize > 0 else { throw SAEError.invalidSetting("batch size must be positive") }
        self.source = source; self.batchSize = batchSize; width = source.width
        var cap = batchSize * max(bufferBatches, 1)
        if let n = source.rowCount { cap = min(cap, max(n, batchSize)) }
        capacity = max(cap, batchSize)
        buffer = [Float](repeating: 0, count: capacity * width)
        rng = SeededRandom(seed: seed ^ 0x5EED_5A4D_B0FF_0001)
        try source.rewind()
    }

    private func refill() throws {
        var rewound = false
        while held < capacity {
            let n = try buffer.withUnsafeMutableBufferPointer {
                try source.read(into: $0.baseAddress! + held * width, maxRows: capacity - held)
            }
            if n == 0 {
                // A pass ended: start the next one (twice in a row means an empty source).
                if rewound { break }
                try source.rewind(); rewound = true
                continue
            }
            rewound = false
            held += n
        }
        guard held >= batchSize else {
            throw SAEError.empty("the activation source gives fewer rows (\(held)) than one batch (\(batchSize)); use a smaller batch or more activations")
        }
    }

    /// Fills `out` with the next batch, [batchSize, width].
    package func nextBatch(into out: UnsafeMutablePointer<Float>) throws {
        try refill()
        buffer.withUnsafeMutableBufferPointer { buf in
            let b = buf.baseAddress!
            for r in 0..<batchSize {
                let pick = rng.nextIndex(held)
                (out + r * width).update(from: b + pick * width, count: width)
                held -= 1
                if pick != held { (b + pick * width).update(from: b + held * width, count: width) }
            }
        }
        batchesDrawn += 1
    }

    /// Draws and drops `count` batches (used to resume exactly where a run stopped).
    package func skip(_ count: Int) throws {
        var scratch = [Float](repeating: 0, count: batchSize * width)
        for _ in 0..<count { try scratch.withUnsafeMutableBufferPointer { try nextBatch(into: $0.baseAddress!) } }
    }
}
