import Foundation
import LoupeImage
import LoupeToyWorld

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
    /// The generator's seed and settings and the scene's number: a
    /// typographic copy is the same scene with a word on it.
    package func identity(at index: Int) -> String { "scene \(index) of seed \(generator.seed) (world \(worldDigest))" }

    /// A short, stable digest of the generator's settings: scenes of one
    /// seed drawn under other settings are other pictures.
    private var worldDigest: String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325   // FNV-1a
        for byte in String(describing: generator.config).utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(h % 0x10000, radix: 16)
    }
    package var attributeNames: [String] { SceneVocabulary.attributes }
    package func validValues(of attribute: String) -> [String]? { SceneVocabulary.values(of: attribute) }
    package func matches(_ index: Int, _ attribute: String, _ value: String) throws -> Bool {
        try attributes(at: index).matches(attribute, value)
    }
    package func value(_ index: Int, of attribute: String) throws -> String { try attributes(at: index).value(of: attribute) }
}
