import LoupeImage
import LoupeRender

/// Textured backdrops, computed per pixel from hashed value noise (plus a
/// few drawn details), so each is recognisable at a glance and costs about
/// a millisecond.
enum Backgrounds {
    static func draw(_ background: Background, seed: UInt64) -> RGBImage {
        let n = Layout.size
        var px = [UInt8](repeating: 0, count: n * n * 3)
        let s = seed
        @inline(__always) func put(_ x: Int, _ y: Int, _ r: Double, _ g: Double, _ b: Double) {
            let i = (y * n + x) * 3
            // Round half up by truncation; clamping takes care of negatives.
            px[i] = UInt8(clamping: Int(min(255, r) + 0.5))
            px[i + 1] = UInt8(clamping: Int(min(255, g) + 0.5))
            px[i + 2] = UInt8(clamping: Int(min(255, b) + 0.5))
        }
        for y in 0..<n {
            let fy = Double(y)
            for x in 0..<n {
                let fx = Double(x)
                switch background {
                case .water:
                    // Rows of wave crests, bent by noise; lighter towards the top.
                    let bend = Noise.fractal(fx / 40, fy / 22, s) * 7
                    let wave = Trig.sin(fy * 0.34 + bend + Trig.sin(fx * 0.05) * 0.8)
                    let crest = Noise.smoothstep(0.7, 1.0, wave)
                    let depth = fy / Double(n)
                    let shade = 0.9 + 0.2 * Noise.value(fx / 12, fy / 6, s &+ 7)
                    put(x, y, (30 - 12 * depth) * shade + crest * 140, (110 - 30 * depth) * shade + crest * 110,
                        (175 - 25 * depth) * shade + crest * 70)
                case .sky:
                    // Gradient from deep to pale blue with soft clouds.
                    let t = fy / Double(n)
                    let cloud = Noise.smoothstep(0.52, 0.75, Noise.fractal(fx / 55, fy / 28, s))
                    put(x, y, 70 + 90 * t + cloud * (245 - 70 - 90 * t), 130 + 75 * t + cloud * (245 - 130 - 75 * t),
                        220 + 25 * t + cloud * (250 - 220 - 25 * t))
                case .night:
                    let t = fy / Double(n)
                    let haze = Noise.fractal(fx / 60, fy / 60, s) * 14
                    put(x, y, 8 + 14 * t + haze * 0.5, 12 + 16 * t + haze * 0.5, 38 + 30 * t + haze)
                case .snow:
                    let drift = Noise.fractal(fx / 45, fy / 25, s)
                    let grain = Hash.unit(x, y, s &+ 3) * 10
                    put(x, y, 214 + drift * 30 + grain, 222 + drift * 26 + grain, 236 + drift * 16 + grain * 0.8)
                case .grass:
                    // Vertical streaks: noise stretched tall and thin.
                    let streak = Noise.value(fx / 1.6, fy / 14, s)
                    let patch = Noise.fractal(fx / 50, fy / 50, s &+ 11)
                    let v = 0.65 + 0.45 * streak + 0.25 * patch
                    put(x, y, 52 * v, 128 * v, 40 * v)
                case .sand:
                    let ripple = Trig.sin(fy * 0.22 + Noise.fractal(fx / 30, fy / 30, s) * 6) * 8
                    let speck = Hash.unit(x, y, s &+ 5)
                    let dark = speck < 0.06 ? -45.0 : (speck > 0.97 ? 20.0 : 0)
                    let grain = (speck - 0.5) * 18
                    put(x, y, 222 + ripple + grain + dark, 194 + ripple + grain + dark, 140 + ripple * 0.6 + grain + dark)
                case .brick:
                    let bw = 40, bh = 20, mortar = 3
                    let row = y / bh
                    let xo = x + (row % 2 == 1 ? bw / 2 : 0)
                    let col = xo / bw
                    let inMortar = y % bh < mortar || xo % bw < mortar
                    let grain = (Hash.unit(x, y, s &+ 9) - 0.5) * 22
                    if inMortar {
                        put(x, y, 188 + grain * 0.5, 182 + grain * 0.5, 170 + grain * 0.5)
                    } else {
                        let tone = 0.82 + 0.3 * Hash.unit(col, row, s &+ 13)
                        put(x, y, 160 * tone + grain, 64 * tone + grain * 0.6, 46 * tone + grain * 0.5)
                    }
                case .wood:
                    // Horizontal planks with wavy grain and dark seams.
                    let ph = 32
                    let plank = y / ph
                    let seam = y % ph < 2
                    let offset = Hash.unit(plank, 0, s &+ 17) * 100
                    let grain = Trig.sin((fy + Noise.fractal((fx + offset) / 70, fy / 8, s) * 18) * 0.9)
                    let tone = 0.85 + 0.25 * Hash.unit(plank, 1, s &+ 19) + 0.08 * grain
                    if seam { put(x, y, 70, 42, 22) } else { put(x, y, 168 * tone, 112 * tone, 62 * tone) }
                }
            }
        }
        var canvas = Canvas(image: RGBImage(width: n, height: n, pixels: px))
        var rng = SplitMix64(seed: seed, index: 7)
        switch background {
        case .night:
            for _ in 0..<70 {
                let c = Point(rng.uniform(0, Double(n)), rng.uniform(0, Double(n)))
                canvas.fillCircle(centre: c, radius: rng.uniform(0.5, 1.5), Colour(250, 246, 220), alpha: rng.uniform(0.5, 1))
            }
        case .grass:
            for _ in 0..<110 {
                let base = Point(rng.uniform(0, Double(n)), rng.uniform(4, Double(n) + 6))
                let tip = Point(base.x + rng.uniform(-5, 5), base.y - rng.uniform(9, 18))
                let light = rng.uniform(0.7, 1.3)
                canvas.line(from: base, to: tip, Colour(unit: 0.2 * light, 0.62 * light, 0.16 * light), width: 1.3, alpha: 0.9)
            }
        case .snow:
            for _ in 0..<40 {
                let c = Point(rng.uniform(0, Double(n)), rng.uniform(0, Double(n)))
                canvas.fillCircle(centre: c, radius: rng.uniform(0.8, 1.8), .white)
            }
        default:
            break
        }
        return canvas.image
    }
}
