import LoupeJSON

/// How far a fresh run's outputs may stray from the stored ones and still
/// count as the same result. Both sets come from measured drift
/// (docs/reproducibility.md): on the CPU and OpenBLAS core that made the
/// notebook, every shipped notebook repeated bit for bit, so `sameMachine`
/// is exact. Another core rounds differently: CLIP's outputs moved by up to
/// 6.5e-6 relative, and `acrossMachines` allows 15 times that. SAE training
/// amplifies the rounding into other latents, so what depends on a trained
/// SAE drifts far more, and no tolerance tells that from a real change:
/// `loupe verify` reports it and says how to run with the stored kernels.
package struct Tolerances: Equatable, Sendable {
    /// Numbers in tables and text: |a - b| <= relative * max(|a|, |b|) ...
    package var relative: Double
    /// ... or <= absolute, for numbers near zero.
    package var absolute: Double
    /// A pixel differs when one of its channels differs by more than this (0-255).
    package var pixelLevel: Int
    /// A picture drifted when more than this share of its pixels differ.
    package var pixelShare: Double

    package init(relative: Double, absolute: Double, pixelLevel: Int, pixelShare: Double) {
        self.relative = relative
        self.absolute = absolute
        self.pixelLevel = pixelLevel
        self.pixelShare = pixelShare
    }

    package static let sameMachine = Tolerances(relative: 0, absolute: 0, pixelLevel: 0, pixelShare: 0)
    /// A colour map turns a value that moved by 1e-4 into a channel moved by
    /// at most a level or two, so pixels may move 2 levels; 1% of a picture
    /// may move more (antialiased edges).
    package static let acrossMachines = Tolerances(relative: 1e-4, absolute: 1e-9, pixelLevel: 2, pixelShare: 0.01)

    /// Which set applies: `sameMachine` when the notebook's provenance names
    /// this CPU and this OpenBLAS core, else `acrossMachines` (also when the
    /// notebook records no provenance). The thread count is not part of it:
    /// 1 and 2 threads gave the same bits (docs/reproducibility.md).
    package static func chosen(stored: JSON?, now: JSON) -> (tolerances: Tolerances, why: String) {
        guard let stored else { return (acrossMachines, "the notebook records no machine") }
        let same = ["cpu", "blas.core"].allSatisfy { key in
            let path = key.split(separator: ".").map(String.init)
            let a = path.reduce(stored["machine"]) { $0?[$1] }, b = path.reduce(now["machine"]) { $0?[$1] }
            return a != nil && a == b
        }
        return same ? (sameMachine, "made on this CPU with this OpenBLAS core")
                    : (acrossMachines, "made on another CPU or OpenBLAS core")
    }

    /// Whether two numbers agree. `printedDecimals`: for numbers read from
    /// text, how many decimals the text shows; a value that drifted across a
    /// rounding boundary moves its last printed digit by one, which is
    /// allowed, since the digits beyond it are not shown to compare (not
    /// when nothing may move: then the digits must be the same).
    package func agree(_ a: Double, _ b: Double, printedDecimals: Int? = nil) -> Bool {
        if a == b { return true }
        guard a.isFinite, b.isFinite else { return false }
        let difference = abs(a - b)
        if difference <= absolute || difference <= relative * max(abs(a), abs(b)) { return true }
        if let decimals = printedDecimals, decimals > 0, relative > 0 || absolute > 0 {
            return difference <= Self.lastDigit(decimals) * 1.000001
        }
        return false
    }

    static func lastDigit(_ decimals: Int) -> Double {
        var step = 1.0
        for _ in 0..<min(decimals, 30) { step /= 10 }
        return step
    }
}
