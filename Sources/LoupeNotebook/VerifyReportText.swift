import Foundation
import LoupeJSON

/// The report `loupe verify` prints: the verdict, every drift with its
/// place, the largest differences that stayed within tolerance, and how the
/// notebook was made beside how it was run now.
package enum VerifyReportText {
    package static func render(_ report: VerificationReport, notebook: Notebook, tolerances: Tolerances, why: String,
                               listMoves: Bool, seconds: Double, now: JSON) -> String {
        var lines: [String] = []
        let ran = "\(report.cellsRun) cells run in \(String(format: "%.1f", seconds)) s"
        if let stopped = report.stoppedAt {
            lines.append("\(notebook.path): stopped at cell \(stopped); \(ran)")
        } else if report.drifts.isEmpty {
            lines.append("\(notebook.path): reproduced: \(ran); every output matches")
        } else {
            let n = report.drifts.count
            lines.append("\(notebook.path): drifted: \(n) difference\(n == 1 ? "" : "s"); \(ran)")
            lines += report.drifts.map { "  \($0)" }
        }
        let m = report.measure
        if listMoves { lines += report.moves.map { "  moved: \($0)" } }
        lines.append("  tolerances \(tolerances == .sameMachine ? "same-machine" : tolerances == .acrossMachines ? "across-machines" : "as given") (\(why))")
        lines.append("  within tolerance (relative \(format(tolerances.relative)), pixels beyond \(tolerances.pixelLevel) levels "
                     + "on at most \(format(tolerances.pixelShare * 100))% of a picture): "
                     + "\(m.numbers) numbers moved, largest relative difference \(format(m.largestRelative)); "
                     + "\(m.pictures) pictures with other bytes, largest channel difference \(m.largestPixelLevel) levels, "
                     + "largest mean \(format(m.largestMeanLevel)), largest share beyond \(format(m.largestPixelShare * 100))%")
        if let stored = notebook.provenance {
            lines.append("  made with: \(summary(stored))")
            lines.append("  run with:  \(summary(now))")
            lines += ProvenanceComparison.differences(stored: stored, now: now).map { "    differs: \($0)" }
            if let rerun = sameKernels(stored: stored, now: now, path: notebook.path) {
                lines.append("  to compute with the kernels that made it (where this CPU has them): \(rerun)")
            }
        } else {
            lines.append("  the notebook records no provenance (made before Loupe recorded it); run with: \(summary(now))")
        }
        return lines.joined(separator: "\n")
    }

    /// The command that re-runs with the stored OpenBLAS core and thread
    /// count, when either differs from now: SAE training amplifies the
    /// rounding of other kernels into other results, and the same kernels
    /// repeat a run bit for bit (docs/reproducibility.md).
    static func sameKernels(stored: JSON, now: JSON, path: String) -> String? {
        guard let core = stored["machine"]?["blas"]?["core"]?.stringValue, let threads = stored["machine"]?["blas"]?["threads"]?.intValue,
              core.allSatisfy({ $0.isLetter || $0.isNumber }),
              core != now["machine"]?["blas"]?["core"]?.stringValue || threads != now["machine"]?["blas"]?["threads"]?.intValue
        else { return nil }
        return "OPENBLAS_CORETYPE=\(core) LOUPE_THREADS=\(threads) loupe verify \(path)"
    }

    /// "Loupe 0.1.0 at 44eddd0d2a1b (modified), <CPU>, OpenBLAS Cooperlake, 2 threads"
    static func summary(_ record: JSON) -> String {
        let version = record["loupe"]?["version"]?.stringValue ?? "?"
        let commit = record["loupe"]?["commit"]?.stringValue ?? "unknown"
        let modified = record["loupe"]?["modified"]?.boolValue == true ? " (modified)" : ""
        let cpu = record["machine"]?["cpu"]?.stringValue ?? "unknown CPU"
        let core = record["machine"]?["blas"]?["core"]?.stringValue ?? "?"
        let threads = record["machine"]?["blas"]?["threads"]?.intValue.map(String.init) ?? "?"
        return "Loupe \(version) at \(commit.prefix(12))\(modified), \(cpu), OpenBLAS \(core), \(threads) threads"
    }

    static func format(_ x: Double) -> String {
        x == 0 ? "0" : x >= 0.01 && x < 1000 ? String(format: "%.3g", x) : String(format: "%.2e", x)
    }
}
