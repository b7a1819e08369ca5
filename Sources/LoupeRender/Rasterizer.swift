/// Scanline polygon filling with antialiasing: each pixel row is sampled
/// on a few sub-scanlines, and along each sub-scanline horizontal coverage
/// is exact. Winding is non-zero, so overlapping contours form a union.
enum Rasterizer {
    static let subScanlines = 4

    private struct Edge {
        var x0, y0, x1, y1: Double
        var dir: Int   // +1 going down, -1 going up
    }

    /// Calls `emit(x, y, coverage)` once for each pixel with coverage > 0.
    static func fill(_ contours: [[Point]], width: Int, height: Int, emit: (Int, Int, Double) -> Void) {
        var edges: [Edge] = []
        var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
        for c in contours where c.count >= 3 {
            // Contours keep the direction they were given: one wound
            // against the others cuts a hole (see `strokeCircle`).
            for i in 0..<c.count {
                let a = c[i], b = c[(i + 1) % c.count]
                guard a.x.isFinite, a.y.isFinite, b.x.isFinite, b.y.isFinite else { continue }
                minX = min(minX, a.x); maxX = max(maxX, a.x); minY = min(minY, a.y); maxY = max(maxY, a.y)
                if a.y == b.y { continue }
                if a.y < b.y { edges.append(Edge(x0: a.x, y0: a.y, x1: b.x, y1: b.y, dir: 1)) }
                else { edges.append(Edge(x0: b.x, y0: b.y, x1: a.x, y1: a.y, dir: -1)) }
            }
        }
        guard !edges.isEmpty else { return }
        // Clamped to the canvas before Int(...): a far-off point must not trap.
        func pixel(_ v: Double, _ limit: Int) -> Int { Int(min(Double(limit), max(0, v))) }
        let rowStart = pixel(minY.rounded(.down), height)
        let rowEnd = pixel(maxY.rounded(.up), height)
        let colStart = pixel(minX.rounded(.down), width)
        let colEnd = pixel(maxX.rounded(.up), width)
        guard rowEnd > rowStart, colEnd > colStart else { return }

        edges.sort { $0.y0 < $1.y0 }
        var next = 0
        var active: [Edge] = []
        var crossings: [(x: Double, dir: Int)] = []
        let span = colEnd - colStart
        var coverage = [Double](repeating: 0, count: span + 1)
        let weight = 1.0 / Double(subScanlines)

        for row in rowStart..<rowEnd {
            for i in 0..<coverage.count { coverage[i] = 0 }
            var touched = false
            for s in 0..<subScanlines {
                let sy = Double(row) + (Double(s) + 0.5) * weight
                while next < edges.count && edges[next].y0 <= sy { active.append(edges[next]); next += 1 }
                active.removeAll { $0.y1 <= sy }
                crossings.removeAll(keepingCapacity: true)
                for e in active where e.y0 <= sy {
                    let t = (sy - e.y0) / (e.y1 - e.y0)
                    crossings.append((e.x0 + (e.x1 - e.x0) * t, e.dir))
                }
                if crossings.count < 2 { continue }
                crossings.sort { $0.x < $1.x }
                var winding = 0
                for k in 0..<(crossings.count - 1) {
                    winding += crossings[k].dir
                    if winding != 0 {
                        addSpan(crossings[k].x, crossings[k + 1].x, into: &coverage, origin: colStart, weight: weight)
                        touched = true
                    }
                }
            }
            guard touched else { continue }
            for i in 0..<span where coverage[i] > 1e-6 {
                emit(colStart + i, row, min(1, coverage[i]))
            }
        }
    }

    /// Adds the horizontal extent [a, b) of one sub-scanline to the pixels it covers.
    @inline(__always)
    private static func addSpan(_ a: Double, _ b: Double, into cov: inout [Double], origin: Int, weight: Double) {
        let lo = max(a, Double(origin)), hi = min(b, Double(origin + cov.count - 1))
        guard hi > lo else { return }
        let ia = Int(lo.rounded(.down)), ib = Int(hi.rounded(.down))
        if ia == ib {
            cov[ia - origin] += (hi - lo) * weight
            return
        }
        cov[ia - origin] += (Double(ia + 1) - lo) * weight
        if ib - ia > 1 { for i in (ia + 1)..<ib { cov[i - origin] += weight } }
        if ib - origin < cov.count { cov[ib - origin] += (hi - Double(ib)) * weight }
    }
}

/// Turns lines into fillable outlines.
enum Stroke {
    /// The rectangle around segment a-b, `width` wide.
    static func segment(_ a: Point, _ b: Point, width w: Double) -> [Point]? {
        let dx = b.x - a.x, dy = b.y - a.y
        let len = (dx * dx + dy * dy).squareRoot()
        guard len > 0, w > 0 else { return nil }
        let nx = -dy / len * w / 2, ny = dx / len * w / 2
        return clockwise([Point(a.x + nx, a.y + ny), Point(b.x + nx, b.y + ny),
                          Point(b.x - nx, b.y - ny), Point(a.x - nx, a.y - ny)])
    }

    /// One quad per segment plus a small disc at each interior vertex.
    static func polyline(_ pts: [Point], width w: Double, closed: Bool) -> [[Point]] {
        let p = pts.filter { $0.x.isFinite && $0.y.isFinite }
        guard p.count >= 2 else { return [] }
        var out: [[Point]] = []
        let n = closed ? p.count : p.count - 1
        for i in 0..<n {
            if let q = segment(p[i], p[(i + 1) % p.count], width: w) { out.append(q) }
        }
        if w > 1.2 {
            let joints = closed ? Array(p) : Array(p[1..<(p.count - 1)])
            for j in joints {
                out.append(clockwise(Polygon.regular(sides: 12, centre: j, radius: w / 2)))
            }
        }
        return out
    }

    static func clockwise(_ p: [Point]) -> [Point] {
        Polygon.signedArea(p) < 0 ? Array(p.reversed()) : p
    }
}
