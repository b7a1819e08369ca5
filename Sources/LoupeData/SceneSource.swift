import Foundation
import LoupeImage
import LoupeWorld

/// The toy world: procedurally drawn scenes with known attributes.
package final class SceneSource: ImageSource, @unchecked Sendable {
    package let generator: SceneGenerator
    /// When set, every scene is drawn with this word on it.
    package let typographicWord: String?
    private var cache: [Int: RGBImage] = [:]
    private let lock = NSLock()

    package init(generator: SceneGenerator, typographicWord: String? = nil) {
        self.generator = generator
        self.typographicWord = typographicWord
    }

    package var description: String {
        let split: String
        switch generator.config.split {
        case .uniform: split = ""
        case .correlated(let a): split = ", shape and background agree \(Int((a * 100).rounded()))%"
        @unknown default: split = ""
        }
        return "scenes (seed \(generator.seed)\(split))" + (typographicWord.map { " with the word \"\($0)\" drawn" } ?? "")
    }

    package func attributes(at index: Int) -> SceneAttributes {
        var a = generator.attributes(at: index)
        if let word = typographicWord { a.word = word }
        return a
    }

    package func image(at index: Int) throws -> RGBImage {
        if let hit = lock.withLock({ cache[index] }) { return hit }
        let image = try SceneRenderer.render(attributes(at: index))
        lock.withLock { cache[index] = image }
        return image
    }

    package func caption(at index: Int) -> String { attributes(at: index).caption }
    package var attributeNames: [String] { SceneVocabulary.attributes }
    package func validValues(of attribute: String) -> [String]? { SceneVocabulary.values(of: attribute) }
    package func matches(_ index: Int, _ attribute: String, _ value: String) throws -> Bool {
        try attributes(at: index).matches(attribute, value)
    }
    package func value(_ index: Int, of attribute: String) throws -> String { try attributes(at: index).value(of: attribute) }
}
