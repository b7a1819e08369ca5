import Foundation
import LoupeJSON
import LoupeLanguage

/// A live progress display for long work: one output, replaced in place
/// (`update_display_data` in Jupyter) at most about ten times a second, and a
/// final summary when the work ends or is interrupted.
public final class ProgressDisplay {
    let output: OutputSink
    let title: String
    package let total: Int
    let id = "loupe-progress-" + UUID().uuidString.lowercased()
    let started = Date()
    var lastShown: Date?
    var shownOnce = false
    /// Minimum time between two updates.
    public static let interval: TimeInterval = 0.1

    public init(output: OutputSink, title: String, total: Int) {
        self.output = output
        self.title = title
        self.total = max(1, total)
        show(done: 0, details: [], final: nil)
    }

    /// Reports progress; cheap to call every step, it only redraws when due.
    public func update(done: Int, details: [(String, String)] = []) {
        let now = Date()
        if let last = lastShown, now.timeIntervalSince(last) < ProgressDisplay.interval { return }
        show(done: done, details: details, final: nil)
    }

    /// The last word: always shown, throttling or not.
    public func finish(done: Int, details: [(String, String)] = [], interrupted: Bool = false) {
        show(done: done, details: details, final: interrupted ? "interrupted" : "done")
    }

    func show(done: Int, details: [(String, String)], final: String?) {
        lastShown = Date()
        let elapsed = Date().timeIntervalSince(started)
        let fraction = min(1, Double(done) / Double(total))
        var parts = ["\(done)/\(total)"]
        if done > 0, elapsed > 0 {
            parts.append(String(format: "%.1f/s", Double(done) / elapsed))
            if final == nil, done < total {
                parts.append("\(ProgressDisplay.duration(elapsed / Double(done) * Double(total - done))) left")
            }
        }
        parts.append(contentsOf: details.map { "\($0.0) \($0.1)" })
        if let final { parts.append("\(final) in \(ProgressDisplay.duration(elapsed))") }
        let line = "\(title): \(Int((fraction * 100).rounded(.down)))% · " + parts.joined(separator: " · ")
        // While running: a bar and the line beside it. At the end the bar
        // goes and one line of summary stays in the notebook.
        let html = final == nil
            ? "<div class=\"loupe-progress\"><progress value=\"\(done)\" max=\"\(total)\" style=\"width: 20em; "
              + "vertical-align: middle\"></progress> <span>\(escapeHTML(line))</span></div>"
            : "<div class=\"loupe-progress loupe-progress-\(final!)\">\(final == "done" ? "✓" : "■") "
              + "\(escapeHTML(line))</div>"
        var json: [String: JSON] = ["title": .string(title), "done": .int(done), "total": .int(total),
                                    "elapsed_s": .double(elapsed)]
        for (k, v) in details { json[k] = .string(v) }
        if let final { json["state"] = .string(final) }
        let bundle = DisplayBundle(text: line, data: ["text/html": .string(html), LoupeMIME.progress: .object(json)])
        output.display(bundle, id: id, update: shownOnce)
        shownOnce = true
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let s = Int(seconds.rounded())
        return s < 3600 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m"
    }
}
