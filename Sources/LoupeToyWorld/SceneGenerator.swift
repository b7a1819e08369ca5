import Foundation
import LoupeImage

/// How shapes and backgrounds are paired.
package enum WorldSplit: Equatable, Sendable {
    /// Shape and background drawn independently.
    case uniform
    /// A shape's group matches the background's habitat with probability
    /// `agreement` (the Waterbirds analogue at 0.95; 0.5 is uniform in
    /// habitat, below 0.5 reverses the correlation for a test split).
    case correlated(agreement: Double)
}

package struct WorldConfig: Equatable, Sendable {
    package var split: WorldSplit
    /// Chance that a scene has a word drawn on it.
    package var wordProbability: Double
    /// Chance of a second object.
    package var secondObjectProbability: Double
    /// Words to draw, chosen uniformly.
    package var words: [String]

    package init(split: WorldSplit = .uniform, wordProbability: Double = 0.25, secondObjectProbability: Double = 0.25,
                words: [String] = SceneVocabulary.words) {
        self.split = split
        self.wordProbability = wordProbability
        self.secondObjectProbability = secondObjectProbability
        self.words = words
    }

    /// One object, no words: the simplest world.
    package static let plain = WorldConfig(wordProbability: 0, secondObjectProbability: 0)
}

/// A rendered scene with what it shows.
package struct Scene: Sendable {
    package let attributes: SceneAttributes
    package let image: RGBImage
    package var caption: String { attributes.caption }

    package init(attributes: SceneAttributes, image: RGBImage) {
        self.attributes = attributes
        self.image = image
    }

    /// Draws the scene that `attributes` describe.
    package init(attributes: SceneAttributes) throws {
        self.init(attributes: attributes, image: try SceneRenderer.render(attributes))
    }
}

/// Scene `i` of a seed is a pure function of (seed, config, i): scenes can
/// be generated in any order, in parallel, or one at a time.
package struct SceneGenerator: Sendable {
    package let seed: UInt64
    package let config: WorldConfig

    package init(seed: UInt64, config: WorldConfig = WorldConfig()) {
        self.seed = seed
        self.config = config
    }

    /// The attributes of scene `index`, without drawing it (cheap).
    package func attributes(at index: Int) -> SceneAttributes {
        var rng = SplitMix64(seed: seed, index: index)
        let shape: Shape, background: Background
        switch config.split {
        case .uniform:
            shape = rng.pick(Shape.allCases)
            background = rng.pick(Background.allCases)
        case .correlated(let agreement):
            let group = rng.pick(ShapeGroup.allCases)
            let agrees = rng.chance(agreement)
            let habitat: Habitat = agrees ? (group == .water ? .water : .land) : (group == .water ? .land : .water)
            shape = rng.pick(group.shapes)
            background = rng.pick(habitat.backgrounds)
        }
        let object = SceneObject(shape: shape, colour: rng.pick(ObjectColour.allCases),
                                 size: rng.pick(ObjectSize.allCases), position: rng.pick(Position.allCases))
        var second: SceneObject?
        if rng.chance(config.secondObjectProbability) {
            // A few tries to find a second object that fits beside the first.
            for _ in 0..<8 {
                let o = SceneObject(shape: rng.pick(Shape.allCases), colour: rng.pick(ObjectColour.allCases),
                                    size: rng.pick(ObjectSize.allCases), position: rng.pick(Position.allCases))
                if Layout.fits(o, beside: object) && (o.shape != object.shape || o.colour != object.colour) {
                    second = o
                    break
                }
            }
        }
        var word: String?
        if !config.words.isEmpty && rng.chance(config.wordProbability) { word = rng.pick(config.words) }
        return SceneAttributes(index: index, object: object, second: second, background: background, word: word,
                               detailSeed: rng.next())
    }

    /// Scene `index`, drawn.
    /// Throws only if a word must be drawn and the DejaVu font is missing.
    package func scene(at index: Int) throws -> Scene {
        let a = attributes(at: index)
        return Scene(attributes: a, image: try SceneRenderer.render(a))
    }

    /// The same scene with `word` drawn on it (replacing any word it had);
    /// nothing else in the picture changes.
    package static func typographic(_ scene: Scene, word: String) throws -> Scene {
        var a = scene.attributes
        a.word = word
        return Scene(attributes: a, image: try SceneRenderer.render(a))
    }

    /// Indices in 0..<count whose attributes satisfy every (attribute, value)
    /// pair, e.g. `[("background", "water"), ("size", "large")]`. Unknown
    /// attributes or values throw with the valid choices.
    package func indices(count: Int, where conditions: [(String, String)]) throws -> [Int] {
        var out: [Int] = []
        for i in 0..<count {
            let a = attributes(at: i)
            var ok = true
            for (k, v) in conditions where try !a.matches(k, v) { ok = false; break }
            if ok { out.append(i) }
        }
        return out
    }
}

extension SceneGenerator {
    /// Several scenes drawn in parallel, in the order of `indices`.
    package func scenes<C: Collection>(_ indices: C) throws -> [Scene] where C.Element == Int {
        let list = Array(indices)
        let out = SceneSlots(count: list.count)
        DispatchQueue.concurrentPerform(iterations: list.count) { k in
            out.set(k, Result { try self.scene(at: list[k]) })
        }
        return try out.results().map { try $0.get() }
    }
}

/// Results filled in by concurrent workers, each writing only its own index.
final class SceneSlots: @unchecked Sendable {
    private var storage: [Result<Scene, Error>?]
    private let lock = NSLock()
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<Scene, Error>) { lock.lock(); storage[i] = r; lock.unlock() }
    func results() -> [Result<Scene, Error>] { lock.lock(); defer { lock.unlock() }; return storage.map { $0! } }
}
