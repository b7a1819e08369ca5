import Foundation
import LoupeAnalysis
import LoupeDisplay
import LoupeImage
import LoupeLanguage
import LoupeRender
import LoupeSAE

/// The curves of a training run: the loss, L0 and the dead fraction, and
/// with held-out activations their explained variance and L0, drawn from a
/// `TrainingHistory` (a few hundred points however long the run). Each
/// panel's title carries its latest value, so the last picture of a run
/// states where it ended.
func trainingCurves(_ h: TrainingHistory, width: Int = 300, height: Int = 210) throws -> RGBImage {
    let steps = h.points.map { Double($0.step) }, held = h.validation.map { Double($0.step) }
    let last = h.points.last, lastHeld = h.validation.last
    func panel(_ series: [LineSeries], _ name: String, logY: Bool = false) throws -> RGBImage {
        try Chart.lines(series, options: ChartOptions(width: width, height: height, title: name, xLabel: "step",
                                                      logY: logY, density: figureDensity), markers: false)
    }
    func value(_ v: Double?, _ digits: Int = 4) -> String { v.map { " " + NumberText.significant($0, digits: digits) } ?? "" }
    var l0Title = "L0" + value(last?.l0, 3)
    if let v = lastHeld { l0Title += ", held out" + value(v.l0, 3) }
    var panels = [
        try panel([LineSeries(name: "", x: steps, y: h.points.map(\.loss))], "loss" + value(last?.loss),
                  logY: h.points.allSatisfy { $0.loss > 0 }),
        try panel([LineSeries(name: "training", x: steps, y: h.points.map(\.l0))]
                  + (held.isEmpty ? [] : [LineSeries(name: "held out", x: held, y: h.validation.map(\.l0))]), l0Title),
        try panel([LineSeries(name: "", x: steps, y: h.points.map(\.deadFraction))],
                  "dead" + (last.map { " " + NumberText.percent($0.deadFraction) } ?? "")),
    ]
    if !held.isEmpty {
        panels.append(try panel([LineSeries(name: "", x: held, y: h.validation.map(\.explainedVariance))],
                                "explained variance, held out" + value(lastHeld?.explainedVariance, 3)))
    }
    // Four panels in two rows keep the picture as wide as a notebook's cell.
    guard panels.count == 4 else { return arrange(panels, vertical: false) }
    return arrange([arrange(Array(panels[0..<2]), vertical: false), arrange(Array(panels[2..<4]), vertical: false)], vertical: true)
}

/// When live curves may be drawn again: at most twice a second, and never
/// more than a tenth of the time, however many runs share it (a sweep's
/// displays share one), so drawing cannot slow training down much.
final class DrawingClock {
    var next = Date.distantPast
    static let interval: TimeInterval = 0.5

    var due: Bool { Date() >= next }

    /// Times `draw` and sets when the next drawing may start.
    func draw(_ body: () -> Void) {
        let start = Date()
        body()
        let took = Date().timeIntervalSince(start)
        next = Date().addingTimeInterval(max(Self.interval, 9 * took))
    }
}

/// The curves drawn while a run trains, in one display updated in place
/// when its `DrawingClock` allows, ending as one picture of the whole run.
final class LiveTrainingCurves {
    let output: OutputSink
    let title: String
    let clock: DrawingClock
    let id = "loupe-curves-" + UUID().uuidString.lowercased()
    var history: TrainingHistory
    var shown = false

    init(output: OutputSink, title: String, every: Int, clock: DrawingClock = DrawingClock()) {
        self.output = output; self.title = title; self.clock = clock; history = TrainingHistory(every: every)
    }

    /// Takes this step's point and validation, if any; redraws when due.
    func update(_ p: SAETrainingProgress) {
        guard p.point != nil || p.validation != nil else { return }
        if let point = p.point { history.points.append(point) }
        if let v = p.validation { history.validation.append(v) }
        if clock.due { clock.draw { draw(final: nil) } }
    }

    /// The run's last picture: its whole history (the trainer's, which a
    /// resumed run carries from before the checkpoint too).
    func finish(_ full: TrainingHistory, summary: String) {
        history = full
        draw(final: summary)
    }

    func draw(final: String?) {
        guard history.points.count >= 2 || !history.validation.isEmpty else { return }
        guard let image = try? trainingCurves(history) else { return }
        output.display(DisplayBundle.png(image, text: title + (final.map { ": " + $0 } ?? "")), id: id, update: shown)
        shown = true
    }
}

/// `sae.history`: the run's figures as a table, with their curves.
final class TrainingHistoryObject: FigureObject {
    let history: TrainingHistory

    init(_ history: TrainingHistory) throws {
        self.history = history
        let table = TableObject(
            title: "Training history: every \(history.every) step\(history.every == 1 ? "" : "s")",
            columns: ["step", "loss", "‖x − x̂‖²", "AuxK", "L0", "dead", "learning rate", "gradient norm"],
            rows: history.points.map { p in
                [.int(p.step), .double(p.loss), .double(p.mse), .double(p.auxiliary), .double(p.l0), .double(p.deadFraction),
                 .double(p.learningRate), .double(p.gradientNorm)]
            },
            notes: "loss, ‖x − x̂‖² (summed over the token's width, averaged over tokens) and AuxK in training units "
                + "(after any input scaling); dead by the training window's rule; "
                + "the gradient norm before clipping")
        super.init(kind: "TrainingHistory", table: table, image: try trainingCurves(history))
    }

    var validationTable: TableObject {
        TableObject(title: "Held-out validation", columns: ["step", "MSE per element", "explained variance", "L0", "dead"],
                    rows: history.validation.map { v in
                        [.int(v.step), .double(v.mse), .double(v.explainedVariance), .double(v.l0), .double(v.deadFraction)]
                    },
                    notes: "the SAE as it stood at each step, in the activations' own units; dead: firing on none of the held-out tokens")
    }
}

func registerTrainingHistory(_ r: Registry) {
    let type = BuiltinType("TrainingHistory", doc: "How a training run went: every N steps the loss, MSE, AuxK loss, L0, dead fraction, "
                           + "learning rate and gradient norm, and the held-out validation when there was one.", isGlobal: false)
    addFigureMembers(to: type)
    type.addProperty(BuiltinProperty("validation", type: "Table", doc: "The held-out figures at each validation step (empty without validation:).") { v in
        .object((v.objectValue as! TrainingHistoryObject).validationTable)
    })
    type.addMethod(BuiltinFunction("plot", [], returns: "Image", doc: "The curves: loss, L0, dead fraction and, with validation, "
                                   + "the held-out explained variance and L0.") { ctx in
        let h = ctx.receiver.objectValue as! TrainingHistoryObject
        return .object(ImageObject(h.image, caption: "training curves"))
    })
    r.add(type)
    r.type("SAE").addProperty(BuiltinProperty("history", type: "TrainingHistory?",
                                                doc: "How it was trained, when Loupe trained it (saved and loaded with it); nil otherwise.") { v in
        guard let h = (v.objectValue as! SAEObject).sae.history, !h.points.isEmpty,
              let object = try? TrainingHistoryObject(h) else { return .null }
        return .object(object)
    })
}

extension TrainingHistory {
    /// Where the run ended, in words: its last recorded figures, and the last held-out ones.
    var ending: String {
        var parts: [String] = []
        if let p = points.last {
            parts.append("step \(p.step): loss " + NumberText.significant(p.loss, digits: 4) + ", L0 " + NumberText.fixed(p.l0, digits: 1)
                         + ", dead " + NumberText.percent(p.deadFraction))
        }
        if let v = validation.last {
            parts.append("held out at step \(v.step): explained variance " + NumberText.fixed(v.explainedVariance, digits: 3)
                         + ", L0 " + NumberText.fixed(v.l0, digits: 1) + ", dead " + NumberText.percent(v.deadFraction))
        }
        return parts.joined(separator: "; ")
    }
}
