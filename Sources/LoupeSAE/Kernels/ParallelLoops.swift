import Dispatch
import LoupeTensor

/// Splits row ranges over the cores. Partitions depend only on the row count
/// and the core count, and partial sums are always added in chunk order, so
/// a run repeats bit for bit whatever order the threads finish in.
func partition(_ n: Int, grain: Int = 1) -> [Range<Int>] {
    guard n > 0 else { return [] }
    let pieces = max(1, min(Parallel.threads * 4, n / max(grain, 1)))
    return (0..<pieces).map { (n * $0 / pieces)..<(n * ($0 + 1) / pieces) }.filter { !$0.isEmpty }
}

func forEachChunk(_ chunks: [Range<Int>], _ body: (Int, Range<Int>) -> Void) {
    if chunks.count <= 1 || Parallel.threads <= 1 {
        for (c, r) in chunks.enumerated() { body(c, r) }
        return
    }
    DispatchQueue.concurrentPerform(iterations: chunks.count) { c in body(c, chunks[c]) }
}

func parallelRows(_ n: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    forEachChunk(partition(n, grain: grain)) { _, r in body(r) }
}
