import LoupeRender

/// Outlines of the shapes, as polygons around a centre, `r` being half
/// the shape's extent. All stand upright so each shape has one look.
enum ShapeOutline {
    static func polygon(_ shape: Shape, centre c: Point, radius r: Double) -> [Point] {
        switch shape {
        case .circle:
            return Polygon.circle(centre: c, radius: r * 0.92)
        case .square:
            let h = r * 0.8
            return Polygon.rect(Rect(x: c.x - h, y: c.y - h, width: 2 * h, height: 2 * h))
        case .triangle:
            // Circumradius r, moved down so it looks centred in its cell.
            return Polygon.regular(sides: 3, centre: Point(c.x, c.y + r * 0.18), radius: r * 1.05)
        case .star:
            return Polygon.star(points: 5, centre: Point(c.x, c.y + r * 0.06), outer: r, inner: r * 0.42)
        case .heart:
            return heart(centre: c, radius: r)
        case .cross:
            let a = r * 0.85, w = r * 0.3
            return [Point(c.x - w, c.y - a), Point(c.x + w, c.y - a), Point(c.x + w, c.y - w), Point(c.x + a, c.y - w),
                    Point(c.x + a, c.y + w), Point(c.x + w, c.y + w), Point(c.x + w, c.y + a), Point(c.x - w, c.y + a),
                    Point(c.x - w, c.y + w), Point(c.x - a, c.y + w), Point(c.x - a, c.y - w), Point(c.x - w, c.y - w)]
        case .diamond:
            return [Point(c.x, c.y - r), Point(c.x + r * 0.68, c.y), Point(c.x, c.y + r), Point(c.x - r * 0.68, c.y)]
        case .hexagon:
            return Polygon.regular(sides: 6, centre: c, radius: r * 0.92, rotation: Double.pi / 6)
        case .pentagon:
            return Polygon.regular(sides: 5, centre: Point(c.x, c.y + r * 0.08), radius: r * 0.95)
        case .arrow:
            // Pointing up: a triangular head over a shaft.
            let head = r * 0.85, shaft = r * 0.32
            return [Point(c.x, c.y - r), Point(c.x + head, c.y - r * 0.05), Point(c.x + shaft, c.y - r * 0.05),
                    Point(c.x + shaft, c.y + r), Point(c.x - shaft, c.y + r), Point(c.x - shaft, c.y - r * 0.05),
                    Point(c.x - head, c.y - r * 0.05)]
        }
    }

    /// The classic heart curve x = 16 sin³t, y = 13 cos t - 5 cos 2t - 2 cos 3t - cos 4t,
    /// scaled so it spans about 2r and flipped for y pointing down.
    static func heart(centre c: Point, radius r: Double) -> [Point] {
        let n = 96, k = r / 16.5
        return (0..<n).map { i in
            let t = 2 * Double.pi * Double(i) / Double(n)
            let s = Trig.sin(t)
            let x = 16 * s * s * s
            let y = 13 * Trig.cos(t) - 5 * Trig.cos(2 * t) - 2 * Trig.cos(3 * t) - Trig.cos(4 * t)
            return Point(c.x + x * k, c.y - (y + 2.5) * k)
        }
    }
}
