import Foundation
import LoupeSAE

/// An estimate with its 95% interval and the n it rests on: what every
/// accuracy, fraction and mean that Loupe reports carries, so a reader can
/// judge a difference without rerunning anything.
package struct Estimate: Sendable, Equatable {
    package let value: Double
    package let low: Double
    package let high: Double
    /// How many independent items the interval rests on (images, units or seeds).
    package let n: Int
    /// What `n` counts, for sentences: "images", "units", "seeds".
    package let unit: String

    package init(value: Double, low: Double, high: Double, n: Int, unit: String) {
        self.value = value; self.low = low; self.high = high; self.n = n; self.unit = unit
    }

    /// Whether two intervals share no point.
    package func isApart(from other: Estimate) -> Bool { high < other.low || other.high < low }
}

/// The interval methods the project's Evidence rules name: Wilson for a
/// proportion, the percentile bootstrap over items for a mean, Student's t
/// across seeds, and a paired t-test for a difference across seeds.
package enum Intervals {
    /// The two-sided 95% normal quantile.
    static let z95 = 1.959_963_984_540_054

    /// Wilson's score interval for `successes` of `n`: it stays inside
    /// [0, 1] and is sensible at 0 and n, where the normal one collapses.
    package static func wilson(successes: Int, of n: Int, unit: String = "images") -> Estimate {
        guard n > 0 else { return Estimate(value: .nan, low: .nan, high: .nan, n: 0, unit: unit) }
        let k = Double(min(max(0, successes), n)), m = Double(n), z = z95
        let p = k / m
        let centre = (p + z * z / (2 * m)) / (1 + z * z / m)
        let half = z / (1 + z * z / m) * (p * (1 - p) / m + z * z / (4 * m * m)).squareRoot()
        return Estimate(value: p, low: max(0, centre - half), high: min(1, centre + half), n: n, unit: unit)
    }

    /// The mean of `values` with a percentile-bootstrap interval: resample
    /// the items with replacement `resamples` times (seeded, so a rerun gives
    /// the same interval) and take the 2.5th and 97.5th percentiles.
    package static func bootstrapMean(_ values: [Double], resamples: Int = 2000, seed: UInt64 = 0,
                                      unit: String = "images") -> Estimate {
        let finite = values.filter(\.isFinite)
        guard !finite.isEmpty else { return Estimate(value: .nan, low: .nan, high: .nan, n: 0, unit: unit) }
        let mean = finite.reduce(0, +) / Double(finite.count)
        guard finite.count > 1 else { return Estimate(value: mean, low: mean, high: mean, n: 1, unit: unit) }
        var random = SeededRandom(seed: seed)
        var means = [Double](repeating: 0, count: max(100, resamples))
        for r in means.indices {
            var s = 0.0
            for _ in finite.indices { s += finite[random.nextIndex(finite.count)] }
            means[r] = s / Double(finite.count)
        }
        means.sort()
        func percentile(_ q: Double) -> Double { means[min(means.count - 1, max(0, Int((q * Double(means.count - 1)).rounded())))] }
        return Estimate(value: mean, low: percentile(0.025), high: percentile(0.975), n: finite.count, unit: unit)
    }

    /// The mean across repeated runs (seeds) with Student's t interval; with
    /// one run the interval is that run's own (`single`), or the point.
    package static func acrossRuns(_ values: [Double], unit: String = "seeds", single: Estimate? = nil) -> Estimate {
        let finite = values.filter(\.isFinite)
        guard !finite.isEmpty else { return Estimate(value: .nan, low: .nan, high: .nan, n: 0, unit: unit) }
        let n = finite.count
        let mean = finite.reduce(0, +) / Double(n)
        guard n > 1 else { return single ?? Estimate(value: mean, low: mean, high: mean, n: 1, unit: unit) }
        let sd = (finite.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)).squareRoot()
        let half = StudentT.quantile975(degreesOfFreedom: n - 1) * sd / Double(n).squareRoot()
        return Estimate(value: mean, low: mean - half, high: mean + half, n: n, unit: unit)
    }

    /// The mean accuracy across repeated runs on one set of `images`: the
    /// t interval across runs says how much training (or drawing) varies,
    /// Wilson's over the images how much another test set would; the
    /// interval reported covers both, so three seeds that agree exactly do
    /// not give a zero-width interval on a group of 58 images.
    package static func accuracyAcrossRuns(_ values: [Double], images: Int, unit: String = "seeds") -> Estimate {
        let runs = acrossRuns(values, unit: unit)
        guard runs.value.isFinite, images > 0 else { return runs }
        let sampling = wilson(successes: Int((runs.value * Double(images)).rounded()), of: images)
        // An accuracy lies in [0, 1], whatever Student's t says for three seeds far apart.
        return Estimate(value: runs.value, low: max(0, min(runs.low, sampling.low)), high: min(1, max(runs.high, sampling.high)),
                        n: runs.n, unit: "\(unit) × \(images) images")
    }

    /// The two-sided p-value of a paired t-test of `a` against `b` (equal
    /// lengths, at least two pairs). Identical differences give p = 0 when
    /// they are not all zero and 1 when they are.
    package static func pairedTest(_ a: [Double], _ b: [Double]) -> Double? {
        guard a.count == b.count, a.count >= 2 else { return nil }
        let d = zip(a, b).map { $0 - $1 }
        guard d.allSatisfy(\.isFinite) else { return nil }
        let n = Double(d.count)
        let mean = d.reduce(0, +) / n
        let variance = d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)
        guard variance > 0 else { return mean == 0 ? 1 : 0 }
        let t = mean / (variance / n).squareRoot()
        return StudentT.twoSidedP(t: t, degreesOfFreedom: d.count - 1)
    }
}

/// Student's t distribution through the regularised incomplete beta
/// function, which is all a paired test and a t interval need.
package enum StudentT {
    /// P(|T| > |t|) for T with `df` degrees of freedom.
    package static func twoSidedP(t: Double, degreesOfFreedom df: Int) -> Double {
        guard t.isFinite else { return 0 }
        let v = Double(max(1, df))
        return IncompleteBeta.regularized(x: v / (v + t * t), a: v / 2, b: 0.5)
    }

    /// The 97.5th percentile, found by bisection on `twoSidedP` (monotone in |t|).
    package static func quantile975(degreesOfFreedom df: Int) -> Double {
        var lo = 0.0, hi = 1000.0
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if twoSidedP(t: mid, degreesOfFreedom: df) > 0.05 { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }
}

/// I_x(a, b) by its continued fraction (modified Lentz), using the symmetry
/// I_x(a, b) = 1 - I_{1-x}(b, a) where the fraction converges slowly.
enum IncompleteBeta {
    static func regularized(x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logGammas: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let logFront = logGammas + logPowers
        if x < (a + 1) / (a + b + 2) { return exp(logFront) * fraction(x: x, a: a, b: b) / a }
        return 1 - exp(logFront) * fraction(x: 1 - x, a: b, b: a) / b
    }

    private static func fraction(x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...300 {
            let m = Double(m)
            // The even step, then the odd step, of the continued fraction.
            let even: Double = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            let oddTop: Double = (a + m) * (a + b + m) * x
            let odd: Double = -oddTop / ((a + 2 * m) * (a + 2 * m + 1))
            for coefficient in [even, odd] {
                d = 1 + coefficient * d
                if abs(d) < tiny { d = tiny }
                c = 1 + coefficient / c
                if abs(c) < tiny { c = tiny }
                d = 1 / d
                h *= d * c
            }
            if abs(d * c - 1) < 1e-15 { break }
        }
        return h
    }
}
