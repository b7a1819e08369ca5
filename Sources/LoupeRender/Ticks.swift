import Foundation

/// Axis tick placement and labelling.
package enum Ticks {
    /// Round tick values covering lo...hi with steps of 1, 2 or 5 times a
    /// power of ten, aiming for about `target` ticks.
    package static func nice(_ lo: Double, _ hi: Double, target: Int = 5) -> [Double] {
        guard lo.isFinite, hi.isFinite else { return [] }
        if hi <= lo { return [lo] }
        let step = niceStep((hi - lo) / Double(max(1, target)))
        let first = (lo / step).rounded(.up), last = (hi / step).rounded(.down)
        guard last >= first, last - first < 1000 else { return [lo, hi] }
        return stride(from: first, through: last, by: 1).map { k in
            let v = k * step
            return abs(v) < step * 1e-9 ? 0 : v   // no "-0"
        }
    }

    /// The smallest 1-2-5 step at least `raw`.
    package static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let mag = pow(10, (log10(raw)).rounded(.down))
        for m in [1.0, 2, 5, 10] where m * mag >= raw * (1 - 1e-9) { return m * mag }
        return 10 * mag
    }

    /// An axis range widened outward to whole steps, so the outermost ticks sit on the frame.
    package static func niceRange(_ lo: Double, _ hi: Double, target: Int = 5) -> (Double, Double) {
        var lo = lo, hi = hi
        if !(lo.isFinite && hi.isFinite) { return (0, 1) }
        if hi <= lo { let d = lo == 0 ? 1 : abs(lo) * 0.1; lo -= d; hi += d }
        let step = niceStep((hi - lo) / Double(max(1, target)))
        return ((lo / step).rounded(.down) * step, (hi / step).rounded(.up) * step)
    }

    /// Ticks for a log10 axis over lo...hi (both > 0): the powers of ten,
    /// with 2 and 5 in between when the range spans under two decades.
    package static func log(_ lo: Double, _ hi: Double) -> [Double] {
        guard lo > 0, hi > lo, hi.isFinite else { return lo > 0 && lo.isFinite ? [lo] : [] }
        let a = Int(log10(lo).rounded(.down)), b = Int(log10(hi).rounded(.up))
        let decades = log10(hi) - log10(lo)
        var out: [Double] = []
        for e in a...b {
            let p = pow(10, Double(e))
            for m in (decades < 2 ? [1.0, 2, 5] : [1.0]) {
                let v = m * p
                if v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9) { out.append(v) }
            }
        }
        // Many decades: thin to keep labels apart.
        while out.count > 8 { out = out.enumerated().filter { $0.offset % 2 == 0 }.map(\.element) }
        return out
    }

    /// A label for `value` on an axis whose ticks are `step` apart: just
    /// enough decimals to tell neighbours apart, scientific for extremes.
    package static func label(_ value: Double, step: Double) -> String {
        if value == 0 { return "0" }
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "−∞") }
        let a = abs(value)
        if a >= 1e6 || a < 1e-4 {
            return exponentLabel(value)
        }
        let decimals = step > 0 && step.isFinite ? max(0, min(6, Int(max(-10, min(10, (-log10(step)).rounded(.up)))))) : 2
        return String(format: "%.\(decimals)f", value)
    }

    /// "10³"-style labels for powers of ten, "2·10⁻³" otherwise, used on log axes.
    package static func logLabel(_ value: Double) -> String {
        guard value > 0, value.isFinite else { return label(value, step: 1) }
        let e = Int(log10(value).rounded(.down))
        let m = value / pow(10, Double(e))
        if e >= 0 && e <= 3 { return String(format: "%.0f", value) }
        let mant = abs(m - m.rounded()) < 1e-6 ? String(format: "%.0f", m) : String(format: "%.1f", m)
        return (mant == "1" ? "" : mant + "·") + "10" + superscript(e)
    }

    static func exponentLabel(_ value: Double) -> String {
        guard value.isFinite, value != 0 else { return label(value, step: 1) }
        let e = Int(log10(abs(value)).rounded(.down))
        let m = value / pow(10, Double(e))
        let mant = abs(m - m.rounded()) < 1e-6 ? String(format: "%.0f", m) : String(format: "%.1f", m)
        return mant + "·10" + superscript(e)
    }

    static func superscript(_ n: Int) -> String {
        let digits: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
        let body = String(abs(n)).map { digits[Int(String($0))!] }
        return (n < 0 ? "⁻" : "") + String(body)
    }
}
