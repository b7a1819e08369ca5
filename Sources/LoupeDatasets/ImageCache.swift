import Foundation
import LoupeImage

/// Decoded images of a file-backed dataset, kept so that the analyses that
/// read the same images again (a probe, then its evaluation, then an
/// ablation) decode each file once. Bounded, because real datasets hold
/// thousands of full-size photographs: the oldest entry goes first.
package final class ImageCache: @unchecked Sendable {
    private let capacity: Int
    private var images: [Int: RGBImage] = [:]
    private var order: [Int] = []
    private let lock = NSLock()

    package init(capacity: Int = 2048) { self.capacity = max(1, capacity) }

    package func image(_ index: Int, load: () throws -> RGBImage) rethrows -> RGBImage {
        if let hit = lock.withLock({ images[index] }) { return hit }
        let image = try load()
        lock.withLock {
            guard images[index] == nil else { return }
            if order.count >= capacity { images[order.removeFirst()] = nil }
            images[index] = image
            order.append(index)
        }
        return image
    }
}
