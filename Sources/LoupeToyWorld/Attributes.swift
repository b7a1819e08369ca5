/// The things a scene is made of. Raw values are the words used in
/// captions, metadata and the command language.

package enum Shape: String, CaseIterable, Sendable, Codable {
    case circle, square, triangle, star, heart, cross, diamond, hexagon, pentagon, arrow

    /// The Waterbirds analogue: shapes are split into two groups that a
    /// correlated split pairs with the two habitats.
    package var group: ShapeGroup {
        switch self {
        case .circle, .star, .heart, .diamond, .pentagon: return .water
        case .square, .triangle, .cross, .hexagon, .arrow: return .land
        }
    }
}

/// A shape's group: the label a probe learns in the spurious-correlation
/// experiments (the "bird type"), named after the habitat it usually appears in.
package enum ShapeGroup: String, CaseIterable, Sendable, Codable {
    case water, land
    package var shapes: [Shape] { Shape.allCases.filter { $0.group == self } }
}

package enum ObjectColour: String, CaseIterable, Sendable, Codable {
    case red, orange, yellow, green, blue, purple, pink, white, black, brown

    /// The fill colour, before the small per-scene variation in shade.
    var rgb: (Double, Double, Double) {
        switch self {
        case .red: return (215, 38, 38)
        case .orange: return (244, 140, 22)
        case .yellow: return (246, 214, 34)
        case .green: return (38, 166, 64)
        case .blue: return (36, 86, 216)
        case .purple: return (136, 58, 186)
        case .pink: return (244, 122, 180)
        case .white: return (246, 246, 246)
        case .black: return (24, 24, 24)
        case .brown: return (128, 78, 38)
        }
    }
}

package enum ObjectSize: String, CaseIterable, Sendable, Codable {
    case small, large
    /// Half the object's extent in pixels on a 224-pixel scene.
    var radius: Double { self == .small ? 26 : 48 }
}

/// Cells of a 3x3 layout.
package enum Position: String, CaseIterable, Sendable, Codable {
    case topLeft = "top left", top = "top", topRight = "top right"
    case left = "left", centre = "centre", right = "right"
    case bottomLeft = "bottom left", bottom = "bottom", bottomRight = "bottom right"

    var column: Int { Position.allCases.firstIndex(of: self)! % 3 }
    var row: Int { Position.allCases.firstIndex(of: self)! / 3 }
}

package enum Background: String, CaseIterable, Sendable, Codable {
    case water, sky, night, snow, grass, sand, brick, wood

    /// Water, sky, night and snow are the "water" habitat; the rest are land.
    package var habitat: Habitat {
        switch self {
        case .water, .sky, .night, .snow: return .water
        case .grass, .sand, .brick, .wood: return .land
        }
    }
}

/// The spurious attribute in correlated splits: which kind of background.
package enum Habitat: String, CaseIterable, Sendable, Codable {
    case water, land
    package var backgrounds: [Background] { Background.allCases.filter { $0.habitat == self } }
}

/// One drawn object.
package struct SceneObject: Equatable, Hashable, Sendable {
    package var shape: Shape
    package var colour: ObjectColour
    package var size: ObjectSize
    package var position: Position

    package init(shape: Shape, colour: ObjectColour, size: ObjectSize, position: Position) {
        self.shape = shape; self.colour = colour; self.size = size; self.position = position
    }

    /// "a large red star"
    package var phrase: String { "a \(size.rawValue) \(colour.rawValue) \(shape.rawValue)" }
}

/// Everything that determines a scene's pixels. Rendering is a pure
/// function of these, so changing only `word` changes only the word.
package struct SceneAttributes: Equatable, Hashable, Sendable {
    /// Position in its generator's stream.
    package var index: Int
    package var object: SceneObject
    package var second: SceneObject?
    package var background: Background
    package var word: String?
    /// Drives texture details, exact placement and shade, so they vary
    /// between scenes but are fixed for a scene.
    package var detailSeed: UInt64

    package init(index: Int, object: SceneObject, second: SceneObject? = nil, background: Background,
                word: String? = nil, detailSeed: UInt64) {
        self.index = index; self.object = object; self.second = second
        self.background = background; self.word = word; self.detailSeed = detailSeed
    }

    package var shape: Shape { object.shape }
    package var colour: ObjectColour { object.colour }
    package var size: ObjectSize { object.size }
    package var position: Position { object.position }
    package var habitat: Habitat { background.habitat }
    package var shapeGroup: ShapeGroup { object.shape.group }

    /// "a large red star and a small blue circle on water with the word "cat""
    package var caption: String {
        var s = object.phrase
        if let second { s += " and " + second.phrase }
        s += " on " + background.rawValue
        if let word { s += " with the word \"\(word)\"" }
        return s
    }
}
