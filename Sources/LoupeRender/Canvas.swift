import LoupeImage

/// A mutable RGB drawing surface. All drawing is alpha-blended in sRGB
/// space and clipped to the canvas; coordinates are Doubles so shapes can
/// sit between pixels and be antialiased.
package struct Canvas: Sendable {
    package private(set) var image: RGBImage

    package var width: Int { image.width }
    package var height: Int { image.height }

    package init(width: Int, height: Int, background: Colour = .white) {
        image = RGBImage(width: width, height: height, fill: background.tuple)
    }

    package init(image: RGBImage) { self.image = image }

    /// Blends `colour` into pixel (x, y) with opacity `alpha` in 0...1.
    /// Out-of-range pixels are ignored so callers need not clip.
    @inline(__always)
    package mutating func blend(x: Int, y: Int, colour: Colour, alpha: Double) {
        guard x >= 0, y >= 0, x < width, y < height, alpha > 0 else { return }
        let i = (y * width + x) * 3
        if alpha >= 1 {
            image.pixels[i] = colour.r; image.pixels[i + 1] = colour.g; image.pixels[i + 2] = colour.b
            return
        }
        image.pixels[i] = Canvas.mix(image.pixels[i], colour.r, alpha)
        image.pixels[i + 1] = Canvas.mix(image.pixels[i + 1], colour.g, alpha)
        image.pixels[i + 2] = Canvas.mix(image.pixels[i + 2], colour.b, alpha)
    }

    @inline(__always)
    static func mix(_ dst: UInt8, _ src: UInt8, _ a: Double) -> UInt8 {
        // The result lies in 0...255, so adding 0.5 and truncating rounds it.
        UInt8(Double(dst) + (Double(src) - Double(dst)) * a + 0.5)
    }

    package mutating func clear(_ colour: Colour) {
        image = RGBImage(width: width, height: height, fill: colour.tuple)
    }

    /// Fills a rectangle with exact fractional coverage at its edges, so a
    /// rectangle from x = 10.5 gives half-covered pixels in column 10.
    package mutating func fill(_ r: Rect, _ colour: Colour, alpha: Double = 1) {
        let x0 = max(0, r.x), y0 = max(0, r.y)
        let x1 = min(Double(width), r.maxX), y1 = min(Double(height), r.maxY)
        guard x1 > x0, y1 > y0 else { return }
        let ix0 = Int(x0.rounded(.down)), ix1 = Int(x1.rounded(.up))
        let iy0 = Int(y0.rounded(.down)), iy1 = Int(y1.rounded(.up))
        for y in iy0..<iy1 {
            let cy = min(y1, Double(y + 1)) - max(y0, Double(y))
            for x in ix0..<ix1 {
                let cx = min(x1, Double(x + 1)) - max(x0, Double(x))
                blend(x: x, y: y, colour: colour, alpha: alpha * cx * cy)
            }
        }
    }

    /// Draws the outline of a rectangle, the stroke lying inside it.
    package mutating func stroke(_ r: Rect, _ colour: Colour, width w: Double = 1, alpha: Double = 1) {
        let w = min(w, r.width / 2, r.height / 2)
        fill(Rect(x: r.x, y: r.y, width: r.width, height: w), colour, alpha: alpha)
        fill(Rect(x: r.x, y: r.maxY - w, width: r.width, height: w), colour, alpha: alpha)
        fill(Rect(x: r.x, y: r.y + w, width: w, height: r.height - 2 * w), colour, alpha: alpha)
        fill(Rect(x: r.maxX - w, y: r.y + w, width: w, height: r.height - 2 * w), colour, alpha: alpha)
    }

    /// Fills one or more closed contours with the non-zero winding rule,
    /// antialiased. Contours may overlap; overlapping parts are painted once.
    package mutating func fill(polygons: [[Point]], _ colour: Colour, alpha: Double = 1) {
        Rasterizer.fill(polygons, width: width, height: height) { x, y, coverage in
            blend(x: x, y: y, colour: colour, alpha: alpha * coverage)
        }
    }

    package mutating func fill(polygon: [Point], _ colour: Colour, alpha: Double = 1) {
        fill(polygons: [polygon], colour, alpha: alpha)
    }

    package mutating func fillCircle(centre: Point, radius: Double, _ colour: Colour, alpha: Double = 1) {
        fill(polygon: Polygon.circle(centre: centre, radius: radius), colour, alpha: alpha)
    }

    package mutating func strokeCircle(centre: Point, radius: Double, _ colour: Colour, width w: Double = 1, alpha: Double = 1) {
        // A ring: outer contour clockwise, inner one reversed, so the
        // winding number is zero inside the hole.
        let outer = Polygon.circle(centre: centre, radius: radius + w / 2)
        let inner = Polygon.circle(centre: centre, radius: max(0, radius - w / 2)).reversed()
        fill(polygons: [outer, Array(inner)], colour, alpha: alpha)
    }

    /// An antialiased straight line with square-cut ends.
    package mutating func line(from a: Point, to b: Point, _ colour: Colour, width w: Double = 1, alpha: Double = 1) {
        guard let quad = Stroke.segment(a, b, width: w) else { return }
        fill(polygon: quad, colour, alpha: alpha)
    }

    /// An antialiased polyline with round joins, painted in one pass so
    /// joins do not darken where segments overlap.
    package mutating func polyline(_ points: [Point], _ colour: Colour, width w: Double = 1, alpha: Double = 1, closed: Bool = false) {
        let contours = Stroke.polyline(points, width: w, closed: closed)
        guard !contours.isEmpty else { return }
        fill(polygons: contours, colour, alpha: alpha)
    }

    /// Draws an image at integer offset (x, y), clipped.
    package mutating func draw(_ src: RGBImage, x: Int, y: Int) {
        for sy in 0..<src.height {
            let dy = y + sy
            guard dy >= 0, dy < height else { continue }
            for sx in 0..<src.width {
                let dx = x + sx
                guard dx >= 0, dx < width else { continue }
                let si = (sy * src.width + sx) * 3, di = (dy * width + dx) * 3
                image.pixels[di] = src.pixels[si]
                image.pixels[di + 1] = src.pixels[si + 1]
                image.pixels[di + 2] = src.pixels[si + 2]
            }
        }
    }

    /// Blends a coverage mask (e.g. rendered text) in `colour` with its
    /// top-left corner at (x, y).
    package mutating func draw(_ mask: AlphaMask, x: Int, y: Int, _ colour: Colour, alpha: Double = 1) {
        for my in 0..<mask.height {
            let dy = y + my
            guard dy >= 0, dy < height else { continue }
            for mx in 0..<mask.width {
                let a = mask.values[my * mask.width + mx]
                if a == 0 { continue }
                blend(x: x + mx, y: dy, colour: colour, alpha: alpha * Double(a) / 255)
            }
        }
    }
}

/// An 8-bit coverage mask: 0 transparent, 255 opaque.
package struct AlphaMask: Equatable, Sendable {
    package let width: Int
    package let height: Int
    package var values: [UInt8]

    package init(width: Int, height: Int, values: [UInt8]? = nil) {
        precondition(width >= 0 && height >= 0)
        self.width = width
        self.height = height
        self.values = values ?? [UInt8](repeating: 0, count: width * height)
        precondition(self.values.count == width * height)
    }

    /// Turned a quarter turn anticlockwise (for vertical axis labels).
    package func rotatedLeft() -> AlphaMask {
        var out = AlphaMask(width: height, height: width)
        for y in 0..<height {
            for x in 0..<width {
                // (x, y) -> (y, width-1-x)
                out.values[(width - 1 - x) * height + y] = values[y * width + x]
            }
        }
        return out
    }

    /// Grown by `radius` pixels (a max filter over a disc), for outlines
    /// around text.
    package func dilated(by radius: Int) -> AlphaMask {
        guard radius > 0 else { return self }
        let w = width + 2 * radius, h = height + 2 * radius
        var out = AlphaMask(width: w, height: h)
        var offsets: [(Int, Int)] = []
        for dy in -radius...radius {
            for dx in -radius...radius where dx * dx + dy * dy <= radius * radius + radius {
                offsets.append((dx, dy))
            }
        }
        for y in 0..<height {
            for x in 0..<width {
                let v = values[y * width + x]
                if v == 0 { continue }
                for (dx, dy) in offsets {
                    let i = (y + radius + dy) * w + (x + radius + dx)
                    if out.values[i] < v { out.values[i] = v }
                }
            }
        }
        return out
    }
}
