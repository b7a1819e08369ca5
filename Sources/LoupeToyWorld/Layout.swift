import LoupeRender

/// Where things go on the 224-pixel scene.
enum Layout {
    static let size = 224
    static let cellCentres: [Double] = [56, 112, 168]
    /// Largest random nudge of an object from its cell centre, in pixels.
    static let jitter = 5.0

    static func baseCentre(_ p: Position) -> Point { Point(cellCentres[p.column], cellCentres[p.row]) }

    /// Two objects fit together when their discs, nudged as far towards
    /// each other as jitter allows, still keep a small gap.
    static func fits(_ a: SceneObject, beside b: SceneObject) -> Bool {
        let p = baseCentre(a.position), q = baseCentre(b.position)
        let d = ((p.x - q.x) * (p.x - q.x) + (p.y - q.y) * (p.y - q.y)).squareRoot()
        return d >= a.size.radius + b.size.radius + 2 * jitter + 2
    }

    /// The object's centre for this scene: its cell centre plus a nudge
    /// fixed by the scene's detail seed.
    static func centre(_ o: SceneObject, slot: Int, seed: UInt64) -> Point {
        var rng = SplitMix64(seed: seed, index: 100 + slot)
        let c = baseCentre(o.position)
        return Point(c.x + rng.uniform(-jitter, jitter), c.y + rng.uniform(-jitter, jitter))
    }
}
