import Foundation

/// A small seeded generator (xoshiro256**, seeded through SplitMix64) so that
/// a training run with the same seed repeats bit for bit on any machine; the
/// system generator is neither seedable nor stable across platforms.
package struct SeededRandom: RandomNumberGenerator, Sendable {
    package private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    package init(seed: UInt64) {
        var s = seed
        func splitMix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(&s), splitMix(&s), splitMix(&s), splitMix(&s))
    }

    /// Restores a generator from `words` (as saved in a checkpoint).
    package init(words: [UInt64]) {
        precondition(words.count == 4, "a generator state has four words")
        state = (words[0], words[1], words[2], words[3])
    }

    package var words: [UInt64] { [state.0, state.1, state.2, state.3] }

    package mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = (state.3 << 45) | (state.3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    package mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform integer in 0..<n without modulo bias.
    package mutating func nextIndex(_ n: Int) -> Int {
        precondition(n > 0)
        return Int(truncatingIfNeeded: next(upperBound: UInt64(n)))
    }

    /// Standard normal sample (Box–Muller; the second value is dropped to keep
    /// the state a plain function of the number of draws).
    package mutating func nextNormal() -> Double {
        var u = nextUnit()
        while u <= 0 { u = nextUnit() }
        let v = nextUnit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

