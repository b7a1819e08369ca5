import LoupeJSON

/// How far a fresh run's outputs may stray from the stored ones and still
/// count as the same result. Both sets come from measured drift, with margin
/// (docs/reproducibility.md): on the machine and BLAS kernels that made the
/// notebook a run repeats bit for bit, so `sameMachine` is tight; other
/// kernels round differently, SAE training amplifies that, and
/// `acrossMachines` allows what two OpenBLAS cores were measured to differ by.
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

    package static let sameMachine = Tolerances(relative: 1e-6, absolute: 1e-9, pixelLevel: 0, pixelShare: 0)
    package static let acrossMachines = Tolerances(relative: 1e-3, absolute: 1e-6, pixelLevel: 8, pixelShare: 0.001)

    /// Which set applies: `sameMachine` when the notebook's provenance names
    /// this CPU, this OpenBLAS core and this thread count, else
    /// `acrossMachines` (also when the notebook records no provenance).
    package static func chosen(stored: JSON?, now: JSON) -> (tolerances: Tolerances, why: String) {
        guard let stored else { return (acrossMachines, "the notebook records no machine") }
        let same = ["cpu", "blas.core", "blas.threads"].allSatisfy { key in
            let path = key.split(separator: ".").map(String.init)
            let a = path.reduce(stored["machine"]) { $0?[$1] }, b = path.reduce(now["machine"]) { $0?[$1] }
            return a != nil && a == b
        }
        return same ? (sameMachine, "made on this CPU with these BLAS kernels and threads")
                    : (acrossMachines, "made on another CPU, BLAS core or thread count")
    }

    /// Whether two numbers agree. `printedDecimals`: for numbers read from
    /// text, how many decimals the text shows; a value that drifted across a
    /// rounding boundary moves its last printed digit by one, which is
    /// allowed, since the digits beyond it are not shown to compare.
    package func agree(_ a: Double, _ b: Double, printedDecimals: Int? = nil) -> Bool {
        if a == b { return true }
        guard a.isFinite, b.isFinite else { return false }
        let difference = abs(a - b)
        if difference <= absolute || difference <= relative * max(abs(a), abs(b)) { return true }
        if let decimals = printedDecimals, decimals > 0 {
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
