import CLoupeKernels
import Foundation

/// Splits work over the machine's cores. Each chunk is a contiguous range so
/// that kernels stream through memory; chunks are only made when there is
/// enough work to pay for waking another thread.
package enum Parallel {
    /// Worker count for the kernels and the row-split matrix products: the
    /// cores this process may really use (its affinity mask and cgroup CPU
    /// quota, not the host's count), or LOUPE_THREADS when set.
    package static var threads: Int = {
        if let n = ProcessInfo.processInfo.environment["LOUPE_THREADS"].flatMap(Int.init), n >= 1 { return n }
        return max(1, Int(loupe_usable_cores()))
    }()

    /// Calls `body` on disjoint ranges covering 0..<n, possibly concurrently.
    /// `grain` is the smallest range worth a thread of its own.
    package static func forEach(_ n: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        guard n > 0 else { return }
        let chunks = min(threads, max(1, n / max(grain, 1)))
        if chunks <= 1 { body(0..<n); return }
        // Over-decompose a little so an unlucky slow chunk does not stall the rest.
        let pieces = min(n, chunks * 4)
        DispatchQueue.concurrentPerform(iterations: pieces) { i in
            let lo = n * i / pieces, hi = n * (i + 1) / pieces
            if lo < hi { body(lo..<hi) }
        }
    }
}
