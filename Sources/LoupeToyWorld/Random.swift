/// SplitMix64 (Steele, Lea & Flood): a tiny, fast generator whose output
/// depends only on its 64-bit state, so a seed gives the same numbers on
/// every machine and every Swift version. (The standard library's
/// `random(in:using:)` algorithms are not promised to stay fixed, so the
/// helpers below do their own mapping to ranges.)
package struct SplitMix64: RandomNumberGenerator, Sendable {
    package private(set) var state: UInt64

    package init(seed: UInt64) { state = seed }

    /// A generator for item `index` of stream `seed`, independent of all
    /// other indices: scene n never needs scenes 0..<n.
    package init(seed: UInt64, index: Int) {
        var mixer = SplitMix64(seed: seed)
        let a = mixer.next()
        state = SplitMix64.mix(a ^ SplitMix64.mix(UInt64(bitPattern: Int64(index)) &+ 0x632B_E59B_D9B4_E019))
    }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    package mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in 0..<n (Lemire's multiply-shift; the tiny bias for huge n does not matter here).
    package mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        return Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }

    package mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * unit() }

    package mutating func chance(_ p: Double) -> Bool { unit() < p }

    package mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Stateless hashing for per-pixel texture noise: the same (x, y, seed)
/// always gives the same value, in any order.
enum Hash {
    @inline(__always)
    static func unit(_ x: Int, _ y: Int, _ seed: UInt64) -> Double {
        // One finaliser round over a mix of the coordinates: plenty for textures.
        let h = SplitMix64.mix(seed &+ UInt64(bitPattern: Int64(x)) &* 0x9E37_79B9_7F4A_7C15
                               &+ UInt64(bitPattern: Int64(y)) &* 0xC2B2_AE3D_27D4_EB4F)
        return Double(h >> 11) * 0x1p-53
    }
}

/// Smooth value noise and fractal sums of it, from plain arithmetic.
enum Noise {
    @inline(__always)
    static func smooth(_ t: Double) -> Double { t * t * (3 - 2 * t) }

    /// Value noise with lattice spacing 1, in [0, 1).
    static func value(_ x: Double, _ y: Double, _ seed: UInt64) -> Double {
        // floor without a libm call: truncate, then step down for negatives.
        var ix = Int(x), iy = Int(y)
        if Double(ix) > x { ix -= 1 }
        if Double(iy) > y { iy -= 1 }
        let fx = Double(ix), fy = Double(iy)
        let tx = smooth(x - fx), ty = smooth(y - fy)
        let a = Hash.unit(ix, iy, seed), b = Hash.unit(ix + 1, iy, seed)
        let c = Hash.unit(ix, iy + 1, seed), d = Hash.unit(ix + 1, iy + 1, seed)
        return (a + (b - a) * tx) + ((c + (d - c) * tx) - (a + (b - a) * tx)) * ty
    }

    /// Three octaves of value noise, in [0, 1). Each octave is turned
    /// against the last so the lattice's square grid does not show.
    static func fractal(_ x: Double, _ y: Double, _ seed: UInt64) -> Double {
        let x2 = (0.8 * x - 0.6 * y) * 2, y2 = (0.6 * x + 0.8 * y) * 2
        let x3 = (0.8 * x2 - 0.6 * y2) * 2, y3 = (0.6 * x2 + 0.8 * y2) * 2
        return (value(x, y, seed) * 4 + value(x2, y2, seed &+ 1) * 2 + value(x3, y3, seed &+ 2)) / 7
    }

    static func smoothstep(_ lo: Double, _ hi: Double, _ x: Double) -> Double {
        smooth(min(1, max(0, (x - lo) / (hi - lo))))
    }
}
