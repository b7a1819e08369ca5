/// A point in canvas coordinates: x to the right, y down, pixel (i, j)
/// covering the square [i, i+1) x [j, j+1), so its centre is (i+0.5, j+0.5).
package struct Point: Equatable, Sendable {
    package var x: Double
    package var y: Double
    package init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
}

/// An axis-aligned rectangle in canvas coordinates.
package struct Rect: Equatable, Sendable {
    package var x: Double
    package var y: Double
    package var width: Double
    package var height: Double
    package init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    package var maxX: Double { x + width }
    package var maxY: Double { y + height }
    package var centre: Point { Point(x + width / 2, y + height / 2) }
    package func inset(by d: Double) -> Rect {
        Rect(x: x + d, y: y + d, width: max(0, width - 2 * d), height: max(0, height - 2 * d))
    }
}

/// Regular shapes as closed polygons, for the rasteriser.
package enum Polygon {
    /// A regular `sides`-gon of circumradius `radius`; `rotation` in radians,
    /// 0 puts the first vertex straight up.
    package static func regular(sides: Int, centre c: Point, radius: Double, rotation: Double = 0) -> [Point] {
        (0..<sides).map { i in
            let a = rotation + 2 * Double.pi * Double(i) / Double(sides)
            return Point(c.x + radius * Trig.sin(a), c.y - radius * Trig.cos(a))
        }
    }

    /// A star with `points` tips alternating between the outer and inner radius.
    package static func star(points: Int, centre c: Point, outer: Double, inner: Double, rotation: Double = 0) -> [Point] {
        (0..<(2 * points)).map { i in
            let a = rotation + Double.pi * Double(i) / Double(points)
            let r = i % 2 == 0 ? outer : inner
            return Point(c.x + r * Trig.sin(a), c.y - r * Trig.cos(a))
        }
    }

    /// A circle as a polygon fine enough that the facets are below a tenth of a pixel.
    package static func circle(centre c: Point, radius: Double) -> [Point] {
        let n = max(12, min(720, Int((2 * Double.pi * radius / 1.5).rounded(.up))))
        return regular(sides: n, centre: c, radius: radius)
    }

    package static func rect(_ r: Rect) -> [Point] {
        [Point(r.x, r.y), Point(r.maxX, r.y), Point(r.maxX, r.maxY), Point(r.x, r.maxY)]
    }

    /// Signed area (positive when the vertices run clockwise on screen, y down).
    static func signedArea(_ p: [Point]) -> Double {
        guard p.count >= 3 else { return 0 }
        var s = 0.0
        for i in 0..<p.count {
            let a = p[i], b = p[(i + 1) % p.count]
            s += a.x * b.y - b.x * a.y
        }
        return s / 2
    }
}

/// Sine and cosine from plain arithmetic. The platform's libm may differ in
/// the last bit between systems; geometry that feeds generated data sets
/// goes through these so the same seed draws the same pixels everywhere.
package enum Trig {
    package static func sin(_ x: Double) -> Double {
        // Reduce to [-pi, pi], then to [-pi/2, pi/2] by symmetry.
        let twoPi = 2 * Double.pi
        var r = x - twoPi * (x / twoPi).rounded()
        if r > Double.pi / 2 { r = Double.pi - r } else if r < -Double.pi / 2 { r = -Double.pi - r }
        // Taylor series to x^15: error below 1e-12 on [-pi/2, pi/2].
        let r2 = r * r
        var term = r, sum = r
        var k = 1.0
        for _ in 0..<7 {
            term *= -r2 / ((k + 1) * (k + 2))
            sum += term
            k += 2
        }
        return sum
    }

    package static func cos(_ x: Double) -> Double { sin(x + Double.pi / 2) }
}
