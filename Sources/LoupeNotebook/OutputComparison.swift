import Foundation
import LoupeJSON

/// Compares a fresh run's outputs of one cell with the stored ones: tables
/// and other numbers within a relative tolerance, pictures by their pixels,
/// words exactly. Progress displays are left out on both sides: Loupe shows
/// one only when work takes longer than about half a second, and its line is
/// timings, so whether and what it shows depends on the machine's load, not
/// on the result (an interrupted cell still ends in its error). Output
/// metadata (where the provenance and display sizes live) is not compared.
package struct OutputComparison {
    package let tolerances: Tolerances
    package private(set) var measure = DriftMeasure()
    /// What moved but stayed within tolerance, placed like drifts: for
    /// `loupe verify --all` and for measuring drift between machines.
    package private(set) var moves: [Drift] = []
    /// Moves of the output being compared, until its place is known.
    private var pendingMoves: [String] = []
    private var placedMoves: [(part: String, detail: String)] = []

    private mutating func movedWithin(_ part: String) {
        placedMoves += pendingMoves.map { (part, $0) }
        pendingMoves = []
    }

    package init(tolerances: Tolerances) { self.tolerances = tolerances }

    package mutating func compare(_ cell: Notebook.Cell, fresh: [JSON]) -> [Drift] {
        let stored = Self.normalised(cell.outputs), now = Self.normalised(fresh.map(Self.asSaved))
        let firstLine = cell.source.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? ""
        let code = firstLine.count > 60 ? String(firstLine.prefix(60)) + "…" : firstLine
        func drift(_ output: Int?, _ part: String, _ detail: String) -> Drift {
            Drift(cell: cell.index, cellID: cell.id, code: code, output: output, part: part, detail: detail)
        }
        var drifts: [Drift] = []
        if stored.count != now.count {
            drifts.append(drift(nil, "outputs", "\(now.count) outputs now (\(Self.kinds(now))), "
                                + "\(stored.count) stored (\(Self.kinds(stored)))"))
        }
        for (k, (a, b)) in zip(stored, now).enumerated() {
            drifts += compareOutput(a, b).map { drift(k, $0.part, $0.detail) }
            moves += placedMoves.map { drift(k, $0.part, $0.detail) }
            placedMoves = []
        }
        return drifts
    }

    mutating func compareOutput(_ stored: JSON, _ fresh: JSON) -> [(part: String, detail: String)] {
        let type = stored["output_type"]?.stringValue ?? "?", freshType = fresh["output_type"]?.stringValue ?? "?"
        guard type == freshType else { return [("output type", "\(freshType) now, \(type) stored")] }
        switch type {
        case "stream":
            let name = stored["name"]?.stringValue ?? "stdout"
            guard name == fresh["name"]?.stringValue else { return [(name, "the text went to another stream now")] }
            defer { movedWithin(name) }
            return compareText(Notebook.joined(stored["text"]), Notebook.joined(fresh["text"])).map { [(name, $0)] } ?? []
        case "error":
            let a = "\(stored["ename"]?.stringValue ?? ""): \(stored["evalue"]?.stringValue ?? "")"
            let b = "\(fresh["ename"]?.stringValue ?? ""): \(fresh["evalue"]?.stringValue ?? "")"
            return a == b ? [] : [("error", "now \"\(b)\", stored \"\(a)\"")]
        default:
            return compareBundle(stored["data"]?.objectValue ?? [:], fresh["data"]?.objectValue ?? [:])
        }
    }

    mutating func compareBundle(_ stored: [String: JSON], _ fresh: [String: JSON]) -> [(part: String, detail: String)] {
        var found: [(String, String)] = []
        for mime in Set(stored.keys).union(fresh.keys).sorted() {
            guard let a = stored[mime] else { found.append((mime, "present now, not stored")); continue }
            guard let b = fresh[mime] else { found.append((mime, "stored, missing now")); continue }
            let problem: String?
            switch mime {
            case "image/png": problem = comparePicture(Notebook.joined(a), Notebook.joined(b))
            case "text/html": problem = compareHTML(Notebook.joined(a), Notebook.joined(b))
            case Self.widgetType: problem = compareJSON(Self.withoutModelID(a), Self.withoutModelID(b), at: "")
            default:
                if case .string = a { problem = compareText(Notebook.joined(a), Notebook.joined(b)) }
                else if case .array = a, mime.hasPrefix("text/") { problem = compareText(Notebook.joined(a), Notebook.joined(b)) }
                else { problem = compareJSON(a, b, at: "") }
            }
            if let problem { found.append((mime, problem)) }
            movedWithin(mime)
        }
        return found
    }

    static let progressType = "application/vnd.loupe.progress+json"
    static let widgetType = "application/vnd.jupyter.widget-view+json"

    /// A widget view names its model by the comm it was opened on, new in
    /// every run; the widget's version and kind still compare.
    static func withoutModelID(_ view: JSON) -> JSON {
        guard var object = view.objectValue else { return view }
        object["model_id"] = nil
        return .object(object)
    }

    mutating func compareText(_ a: String, _ b: String) -> String? {
        if a == b { return nil }
        let a = MachineText.normalised(a), b = MachineText.normalised(b)
        if a == b { return nil }
        let before = measure.numbers
        let difference = NumericText(a).difference(from: NumericText(b), tolerances: tolerances, measure: &measure)
        guard let (x, y) = difference else {
            if measure.numbers > before { pendingMoves.append("\(measure.numbers - before) numbers in the text moved") }
            return nil
        }
        return "\"\(y)\" now, \"\(x)\" stored"
    }

    /// HTML with its inlined pictures taken out and compared by pixels.
    mutating func compareHTML(_ a: String, _ b: String) -> String? {
        let (textA, picturesA) = InlinedPictures.extract(a), (textB, picturesB) = InlinedPictures.extract(b)
        guard picturesA.count == picturesB.count else {
            return "\(picturesB.count) inlined pictures now, \(picturesA.count) stored"
        }
        for (k, (p, q)) in zip(picturesA, picturesB).enumerated() {
            if let problem = comparePicture(p, q) { return "inlined picture \(k): \(problem)" }
        }
        return compareText(textA, textB)
    }

    mutating func comparePicture(_ a: String, _ b: String) -> String? {
        if a == b { return nil }
        do {
            let d = try PixelDifference.between(storedBase64: a, freshBase64: b, threshold: tolerances.pixelLevel)
            measure.pictures += 1
            measure.largestPixelLevel = max(measure.largestPixelLevel, d.maxLevel)
            measure.largestMeanLevel = max(measure.largestMeanLevel, d.meanLevel)
            if d.share <= tolerances.pixelShare {
                measure.largestPixelShare = max(measure.largestPixelShare, d.share)
                pendingMoves.append("\(Self.percent(d.share)) of pixels beyond \(tolerances.pixelLevel) levels, largest difference "
                                    + "\(d.maxLevel) levels, mean \(Self.format(d.meanLevel))")
                return nil
            }
            return "\(Self.percent(d.share)) of pixels differ by more than \(tolerances.pixelLevel) levels (allowed "
                + "\(Self.percent(tolerances.pixelShare))); largest difference \(d.maxLevel) levels, mean \(Self.format(d.meanLevel))"
        } catch {
            return "\(error)"
        }
    }

    /// Tables, summaries and other vendor JSON: the same shape, words
    /// exactly, numbers within tolerance. `path` names the place: `rows[2][3]`.
    mutating func compareJSON(_ a: JSON, _ b: JSON, at path: String) -> String? {
        let here = path.isEmpty ? "the value" : path
        switch (a, b) {
        case (.object(let x), .object(let y)):
            if let key = Set(x.keys).symmetricDifference(y.keys).sorted().first {
                return "\(path.isEmpty ? "" : path + ".")\(key) is \(x[key] == nil ? "present now, not stored" : "stored, missing now")"
            }
            for key in x.keys.sorted() {
                if let problem = compareJSON(x[key]!, y[key]!, at: path.isEmpty ? key : "\(path).\(key)") { return problem }
            }
            return nil
        case (.array(let x), .array(let y)):
            guard x.count == y.count else { return "\(here) has \(y.count) items now, \(x.count) stored" }
            for (k, (p, q)) in zip(x, y).enumerated() {
                if let problem = compareJSON(p, q, at: "\(path)[\(k)]") { return problem }
            }
            return nil
        case (.string(let x), .string(let y)):
            return compareText(x, y).map { "\(here): \($0)" }
        default:
            if let x = a.doubleValue, let y = b.doubleValue {
                if tolerances.agree(x, y) {
                    measure.moved(x, y)
                    if x != y {
                        pendingMoves.append("\(here): \(Self.show(a)) → \(Self.show(b)) (relative \(Self.format(relativeDifference(x, y))), "
                                            + "absolute \(Self.format(abs(x - y))))")
                    }
                    return nil
                }
                return "\(here) is \(Self.show(b)) now, \(Self.show(a)) stored (relative difference "
                    + "\(Self.format(relativeDifference(x, y))), allowed \(Self.format(tolerances.relative)))"
            }
            return a == b ? nil : "\(here) is \(Self.show(b)) now, \(Self.show(a)) stored"
        }
    }

    /// Consecutive stream texts of one stream are one text (front ends and
    /// nbclient may split them anywhere); progress displays are left out.
    static func normalised(_ outputs: [JSON]) -> [JSON] {
        var merged: [JSON] = []
        for output in outputs where output["data"]?[progressType] == nil {
            if output["output_type"]?.stringValue == "stream", let last = merged.last,
               last["output_type"]?.stringValue == "stream", last["name"] == output["name"] {
                merged[merged.count - 1] = ["output_type": "stream", "name": output["name"] ?? "stdout",
                                            "text": .string(Notebook.joined(last["text"]) + Notebook.joined(output["text"]))]
            } else {
                merged.append(output)
            }
        }
        return merged
    }

    /// An output as a notebook file would hold it: what JSON cannot carry
    /// (a NaN in a table) reads back as the file has it (null).
    static func asSaved(_ output: JSON) -> JSON {
        (try? JSON.parse(output.serialized())) ?? output
    }

    static func kinds(_ outputs: [JSON]) -> String {
        outputs.isEmpty ? "none" : outputs.map { $0["output_type"]?.stringValue ?? "?" }.joined(separator: ", ")
    }

    static func show(_ value: JSON?) -> String {
        guard let value else { return "absent" }
        let text = value.serialized()
        return text.count > 80 ? String(text.prefix(80)) + "…" : text
    }

    static func format(_ x: Double) -> String {
        x == 0 ? "0" : x >= 0.01 && x < 1000 ? String(format: "%.3g", x) : String(format: "%.2e", x)
    }

    static func percent(_ share: Double) -> String { String(format: "%.3g%%", share * 100) }
}
