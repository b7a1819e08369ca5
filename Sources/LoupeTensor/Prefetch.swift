import Foundation

/// Makes the items of a sequence of ranges on a thread of its own, at most
/// `depth` ahead of the consumer: while one batch of photos runs through
/// the model, the next ones are decoded and preprocessed. The queue is
/// bounded so that a slow consumer never lets decoded batches pile up in
/// memory.
///
/// `make` is called once per range, in order, from the background thread
/// only. An error it throws is handed to the consumer in turn, and nothing
/// after it is made. `cancel()`, or the prefetcher's end, stops the thread
/// and waits for it, so `make` never runs after the consumer has moved on.
package final class Prefetcher<Item>: @unchecked Sendable {
    /// What the two threads share; the background thread holds only this,
    /// so dropping the prefetcher ends it.
    private final class Queue: @unchecked Sendable {
        let condition = NSCondition()
        var ready: [Result<Item, Error>] = []
        var cancelled = false
        var running = true
    }

    private let queue = Queue()

    package init(ranges: [Range<Int>], depth: Int = 2, make: @escaping (Range<Int>) throws -> Item) {
        let queue = self.queue, depth = max(1, depth)
        let thread = Thread {
            let c = queue.condition
            for range in ranges {
                c.lock()
                while queue.ready.count >= depth && !queue.cancelled { c.wait() }
                let stop = queue.cancelled
                c.unlock()
                if stop { break }
                let result = Result { try make(range) }
                c.lock()
                queue.ready.append(result)
                c.broadcast()
                c.unlock()
                if case .failure = result { break }
            }
            c.lock()
            queue.running = false
            c.broadcast()
            c.unlock()
        }
        thread.name = "loupe.prefetch"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// The next item in order, waiting for it if need be; nil once every
    /// range has been delivered.
    package func next() throws -> Item? {
        let c = queue.condition
        c.lock()
        defer { c.unlock() }
        while queue.ready.isEmpty && queue.running { c.wait() }
        guard !queue.ready.isEmpty else { return nil }
        let result = queue.ready.removeFirst()
        c.broadcast()
        return try result.get()
    }

    /// Stops making items and waits until the thread is done with `make`.
    package func cancel() {
        let c = queue.condition
        c.lock()
        queue.cancelled = true
        c.broadcast()
        while queue.running { c.wait() }
        queue.ready.removeAll()
        c.unlock()
    }

    deinit { cancel() }
}
