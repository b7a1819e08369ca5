import LoupeJSON

/// What re-running a notebook found.
package struct VerificationReport {
    package let drifts: [Drift]
    /// What moved within tolerance.
    package let moves: [Drift]
    package let measure: DriftMeasure
    package let cellsRun: Int
    /// Set when the run was stopped before its end (Ctrl-C).
    package let stoppedAt: Int?

    package var reproduced: Bool { drifts.isEmpty && stoppedAt == nil }
}

/// Re-runs a notebook's code cells in order, in one fresh session, and
/// compares each cell's outputs with the stored ones as it goes.
package enum NotebookVerification {
    /// How one cell ran: it finished (successfully or with an error, both
    /// recorded as outputs), or the person stopped the run.
    package enum CellRun { case finished, stopped }

    /// `execute` runs one cell's code, sending its outputs, result and error
    /// to the recorder. `started` is told each cell before it runs.
    package static func verify(_ notebook: Notebook, tolerances: Tolerances,
                               started: (Notebook.Cell, _ position: Int, _ of: Int) -> Void = { _, _, _ in },
                               execute: (String, OutputRecorder) -> CellRun) -> VerificationReport {
        var comparison = OutputComparison(tolerances: tolerances)
        let recorder = OutputRecorder()
        var drifts: [Drift] = []
        var run = 0
        // nbclient and JupyterLab skip cells with no code; their outputs stay empty.
        let cells = notebook.codeCells
        for (position, cell) in cells.enumerated() {
            recorder.startCell()
            if !cell.source.allSatisfy(\.isWhitespace) {
                started(cell, position, cells.count)
                if execute(cell.source, recorder) == .stopped {
                    return VerificationReport(drifts: drifts, moves: comparison.moves, measure: comparison.measure, cellsRun: run,
                                              stoppedAt: cell.index)
                }
                run += 1
            }
            drifts += comparison.compare(cell, fresh: recorder.outputs)
        }
        return VerificationReport(drifts: drifts, moves: comparison.moves, measure: comparison.measure, cellsRun: run, stoppedAt: nil)
    }
}
