import LoupeImage

/// Loupe's logo, drawn rather than shipped: a magnifying glass whose lens
/// shows a grid of patches with a few lit up, as an SAE latent lights up the
/// patches of a ViT. Used for the kernelspec icons and `logo()`.
package enum Logo {
    package static func draw(size: Int) -> RGBImage {
        precondition(size >= 8, "the logo needs at least 8 pixels")
        var image = RGBImage(width: size, height: size, fill: (255, 255, 255))
        let s = Double(size)
        let centre = (x: 0.42 * s, y: 0.42 * s)
        let radius = 0.30 * s
        let ring = 0.075 * s
        let handleEnd = (x: 0.88 * s, y: 0.88 * s)
        let handleWidth = 0.09 * s
        let lit: Set<Int> = [8, 9, 15, 16, 24, 32, 31]  // cells of the 7x7 grid that "fire"
        let samples = 4
        for py in 0..<size {
            for px in 0..<size {
                var acc = (r: 0.0, g: 0.0, b: 0.0)
                for sy in 0..<samples {
                    for sx in 0..<samples {
                        let x = Double(px) + (Double(sx) + 0.5) / Double(samples)
                        let y = Double(py) + (Double(sy) + 0.5) / Double(samples)
                        let c = colour(x: x, y: y, centre: centre, radius: radius, ring: ring,
                                       handleEnd: handleEnd, handleWidth: handleWidth, lit: lit)
                        acc.r += c.0; acc.g += c.1; acc.b += c.2
                    }
                }
                let n = Double(samples * samples)
                image[px, py] = (UInt8((acc.r / n).rounded()), UInt8((acc.g / n).rounded()), UInt8((acc.b / n).rounded()))
            }
        }
        return image
    }

    static func colour(x: Double, y: Double, centre: (x: Double, y: Double), radius: Double, ring: Double,
                       handleEnd: (x: Double, y: Double), handleWidth: Double, lit: Set<Int>) -> (Double, Double, Double) {
        let dx = x - centre.x, dy = y - centre.y
        let d = (dx * dx + dy * dy).squareRoot()
        if d <= radius - ring / 2 {
            // Inside the lens: a 7x7 grid of patches.
            let side = 2 * (radius - ring / 2) / 2.0.squareRoot()
            let gx = (dx + side / 2) / side, gy = (dy + side / 2) / side
            if gx >= 0, gx < 1, gy >= 0, gy < 1 {
                let cell = Int(gy * 7) * 7 + Int(gx * 7)
                let fx = gx * 7 - Double(Int(gx * 7)), fy = gy * 7 - Double(Int(gy * 7))
                let gap = fx < 0.08 || fy < 0.08
                if gap { return (214, 234, 238) }
                return lit.contains(cell) ? (253, 174, 50) : (178, 218, 226)
            }
            return (214, 234, 238)
        }
        if d <= radius + ring / 2 { return (20, 110, 130) }
        // The handle: a thick segment from the ring outwards at 45 degrees.
        let start = (x: centre.x + radius * 0.72, y: centre.y + radius * 0.72)
        let vx = handleEnd.x - start.x, vy = handleEnd.y - start.y
        let t = max(0, min(1, ((x - start.x) * vx + (y - start.y) * vy) / (vx * vx + vy * vy)))
        let hx = start.x + t * vx - x, hy = start.y + t * vy - y
        if (hx * hx + hy * hy).squareRoot() <= handleWidth / 2 { return (45, 45, 52) }
        return (255, 255, 255)
    }
}
