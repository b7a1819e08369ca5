import Foundation

/// A measured condition as comparisons see it: one value per seed when the
/// condition was repeated, and its interval either way.
package struct Measured: Sendable {
    package let name: String
    package let estimate: Estimate
    /// One value per seed, in seed order; a single value when the condition
    /// does not depend on the seed (no ablation, the neuron baseline).
    package let perSeed: [Double]

    package init(name: String, estimate: Estimate, perSeed: [Double]) {
        self.name = name; self.estimate = estimate; self.perSeed = perSeed
    }
}

/// Whether one condition beats another, said only when resolved: a paired
/// t-test over seeds at p < 0.05 when both were repeated over the same seeds,
/// and otherwise 95% intervals that do not overlap. Anything else is "not
/// resolved at n = ...", which is what a reviewer would write.
package struct Comparison: Sendable {
    package let a: Measured
    package let b: Measured
    /// Mean of a minus mean of b.
    package let difference: Double
    /// The paired test's p-value, when one was possible.
    package let p: Double?
    package let resolved: Bool

    package static let alpha = 0.05

    package init(_ a: Measured, _ b: Measured) {
        self.a = a; self.b = b
        difference = a.estimate.value - b.estimate.value
        if a.perSeed.count >= 2, a.perSeed.count == b.perSeed.count {
            p = Intervals.pairedTest(a.perSeed, b.perSeed)
            resolved = (p ?? 1) < Self.alpha && difference != 0
        } else {
            p = nil
            resolved = a.estimate.isApart(from: b.estimate)
        }
    }

    /// The evidence behind the verdict, e.g. "paired t-test over 3 seeds,
    /// p = 0.012" or "95% intervals overlap, n = 58 and 58 images".
    package var evidence: String {
        if let p {
            return "paired t-test over \(a.perSeed.count) seeds, \(NumberText.pValue(p))"
        }
        let sizes = a.estimate.unit == b.estimate.unit
            ? "n = \(a.estimate.n) and \(b.estimate.n) \(a.estimate.unit)"
            : "n = \(a.estimate.n) \(a.estimate.unit) and \(b.estimate.n) \(b.estimate.unit)"
        return "95% intervals \(resolved ? "apart" : "overlap"), \(sizes)"
    }

    /// One sentence: which is higher and by how much when resolved, "not
    /// resolved" otherwise; `scale` 100 states fractions in points.
    package func sentence(scale: Double = 100, unit: String = "points") -> String {
        let size = NumberText.fixed(abs(difference) * scale, digits: scale >= 100 ? 1 : 3)
        if resolved {
            return "\(a.name) \(difference > 0 ? "above" : "below") \(b.name) by \(size) \(unit) (\(evidence))"
        }
        let direction = difference > 0 ? "above" : difference < 0 ? "below" : "level with"
        return "\(a.name) \(size) \(unit) \(direction) \(b.name), not resolved (\(evidence))"
    }
}

/// Numbers in sentences: one path that never traps on non-finite or huge
/// values (String(format:) with %f is safe; Int(...) of a Double is not).
package enum NumberText {
    package static func fixed(_ v: Double, digits: Int) -> String {
        guard v.isFinite else { return v.isNaN ? "n/a" : (v > 0 ? "∞" : "-∞") }
        if abs(v) >= 1e9 { return String(format: "%.3g", v) }
        return String(format: "%.\(min(max(0, digits), 9))f", v)
    }

    /// "p = 0.012", or "p < 0.001" below what three decimals show.
    package static func pValue(_ p: Double) -> String {
        guard p.isFinite else { return "p n/a" }
        return p < 0.001 ? "p < 0.001" : String(format: "p = %.3f", p)
    }

    /// `digits` significant digits ("0.01234", "1.23e+05"), safe for any value.
    package static func significant(_ v: Double, digits: Int) -> String {
        guard v.isFinite else { return fixed(v, digits: 0) }
        return String(format: "%.\(min(max(1, digits), 9))g", v)
    }

    /// A fraction as a percentage with one decimal.
    package static func percent(_ v: Double) -> String { fixed(v * 100, digits: 1) + "%" }

    /// "61.5% [55.0, 67.6], n = 192"
    package static func withInterval(_ e: Estimate, percent: Bool = true) -> String {
        let s = percent ? 100.0 : 1.0, d = percent ? 1 : 3
        return "\(fixed(e.value * s, digits: d))\(percent ? "%" : "") [\(fixed(e.low * s, digits: d)), \(fixed(e.high * s, digits: d))], "
            + "n = \(e.n) \(e.unit)"
    }
}
