import Foundation
import LoupeImage
import LoupeLanguage

/// Decoded images of a file-backed dataset, kept so that the analyses that
/// read the same images again (a probe, then its evaluation, then an
/// ablation) decode each file once. Bounded, because real datasets hold
/// thousands of full-size photographs: the oldest entry goes first.
final class ImageCache: @unchecked Sendable {
    private let capacity: Int
    private var images: [Int: RGBImage] = [:]
    private var order: [Int] = []
    private let lock = NSLock()

    init(capacity: Int = 2048) { self.capacity = max(1, capacity) }

    func image(_ index: Int, load: () throws -> RGBImage) rethrows -> RGBImage {
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
