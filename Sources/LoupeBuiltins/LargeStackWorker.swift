import Foundation

/// One long-lived thread with a large stack that runs work handed to it, one
/// piece at a time, while the caller waits: a cell, or a widget's update. It
/// starts with the first piece of work and then stays, so a slider tick
/// costs a hand-over, not a new thread; it ends when its owner goes. Work
/// that comes from a thread with a large stack already (the worker itself,
/// when a widget drives another; the kernel's shell thread, started by
/// `LargeStackWorker.detach`) runs at once, in place, with no hand-over.
package final class LargeStackWorker: @unchecked Sendable {
    /// Marks a thread whose stack is at least `Session.stackSize`.
    private static let largeStackKey = "loupe.large-stack"

    /// Runs `body` on a new thread with a stack of `stackSize` bytes, marked
    /// so that sessions run their work on it directly, and waits for it.
    package static func runOnLargeStack(stackSize: Int = Session.stackSize, _ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            Thread.current.threadDictionary[largeStackKey] = stackSize
            body()
            done.signal()
        }
        thread.stackSize = stackSize
        thread.start()
        done.wait()
    }

    private static func currentThreadHasLargeStack(_ needed: Int) -> Bool {
        (Thread.current.threadDictionary[largeStackKey] as? Int ?? 0) >= needed
    }

    /// Shared with the thread, which must not keep the worker alive.
    private final class Queue: @unchecked Sendable {
        let condition = NSCondition()
        var pending: (() -> Void)?
        var closed = false
    }

    private let queue = Queue()
    private let stackSize: Int
    private let startLock = NSLock()
    private var thread: Thread?

    init(stackSize: Int) { self.stackSize = stackSize }

    deinit {
        queue.condition.lock()
        queue.closed = true
        queue.condition.broadcast()
        queue.condition.unlock()
    }

    /// Runs `body` on the worker and returns its result.
    func run<T>(_ body: @escaping () -> T) -> T {
        let worker = startLock.withLock { () -> Thread in
            if let thread { return thread }
            let queue = self.queue
            let thread = Thread { Self.serve(queue) }
            thread.name = "loupe-session"
            thread.stackSize = stackSize
            thread.start()
            self.thread = thread
            return thread
        }
        if Thread.current === worker || Self.currentThreadHasLargeStack(stackSize) { return body() }
        let box = ResultBox<T>()
        queue.condition.lock()
        while queue.pending != nil { queue.condition.wait() }
        queue.pending = {
            box.value = body()
            box.done.signal()
        }
        queue.condition.broadcast()
        queue.condition.unlock()
        box.done.wait()
        return box.value!
    }

    private static func serve(_ queue: Queue) {
        while true {
            queue.condition.lock()
            while queue.pending == nil && !queue.closed { queue.condition.wait() }
            guard let work = queue.pending else { queue.condition.unlock(); return }
            queue.pending = nil
            queue.condition.broadcast()
            queue.condition.unlock()
            work()
        }
    }
}

/// Carries a value back from the thread that computed it.
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
    let done = DispatchSemaphore(value: 0)
}
