import Foundation
import LoupeDisplay

/// The HTML of the browser's pages: self-contained (the search
/// script of the index inline, the style sheet and the latent pages' script
/// beside them), linking only to files inside the folder.
extension FeatureBrowser {
    static let style = """
    body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d1d1f;background:#fff}
    h1{font-size:20px;margin:0 0 4px}p.about{color:#555;margin:0 0 16px;max-width:70em}
    table{border-collapse:collapse}th,td{padding:3px 10px;text-align:left;border-bottom:1px solid #e5e5e5}
    th{font-weight:600;background:#f6f6f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
    input#search{font-size:15px;padding:6px 10px;width:24em;margin:0 0 10px}
    nav{margin:0 0 14px}nav a{margin-right:14px}
    .tiles{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0;width:96px}
    figcaption{font-size:11px;color:#444;word-wrap:break-word}
    .tile{position:relative;width:96px;height:96px}.tile img{width:96px;height:96px;display:block;image-rendering:auto}
    .cells{position:absolute;inset:0;display:grid}.cells span{background:#000}
    .words span{display:inline-block;background:#eef3ff;border-radius:4px;padding:1px 6px;margin:2px}
    """

    /// Dims each patch of a latent page's top images by how little the
    /// latent fires there (shared by every latent page).
    static let latentScript = """
    // Dim each patch of a top image the less the latent fires there, so
    // where it fires stands out on any background.
    for (const tile of document.querySelectorAll(".tile[data-shade]")) {
      const g = Number(tile.dataset.grid), cells = document.createElement("div");
      cells.className = "cells";
      cells.style.gridTemplateColumns = "repeat(" + g + ",1fr)";
      for (const d of tile.dataset.shade) {
        const cell = document.createElement("span");
        cell.style.opacity = (0.6 * (1 - Number(d) / 9)).toFixed(2);
        cells.appendChild(cell);
      }
      tile.appendChild(cells);
    }
    """

    func indexPage() -> String {
        var rows = ""
        for l in latents {
            let words = l.label.joined(separator: " ")
            let search = escapeHTML("\(l.number) \(words) \(l.steering.joined(separator: " "))".lowercased())
            rows += "<tr data-search=\"\(search)\"><td class=\"n\"><a href=\"latents/\(l.number).html\">\(l.number)</a></td>"
                + "<td>\(escapeHTML(l.label.first ?? ""))</td><td class=\"n\">\(l.confidence.map { Self.fixed($0, 2) } ?? "")</td>"
                + "<td>\(escapeHTML(l.label.dropFirst().joined(separator: ", ")))</td>"
                + "<td class=\"n\">\(Self.fixed(l.density, 4))</td><td class=\"n\">\(l.firing)</td>"
                + "<td class=\"n\">\(Self.fixed(Double(l.largest), 2))</td><td class=\"n\">\(l.monosemanticity.map { Self.fixed($0, 3) } ?? "")</td></tr>\n"
        }
        return """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(escapeHTML(title))</title>
        <meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="style.css"></head><body>
        <h1>\(escapeHTML(title))</h1><p class="about">\(escapeHTML(description))</p>
        <input id="search" type="search" placeholder="Search labels, words or latent numbers" autofocus>
        <p id="count">\(latents.count) of \(latents.count) latents</p>
        <table id="latents"><thead><tr><th>latent</th><th>label</th><th>confidence</th><th>next words</th><th>density</th>
        <th>images firing</th><th>largest</th><th>MS</th></tr></thead><tbody>
        \(rows)</tbody></table>
        <script>
        // Every word typed must appear in a row's label, words or number.
        const rows = Array.from(document.querySelectorAll("#latents tbody tr"));
        const count = document.getElementById("count");
        function filter() {
          const words = document.getElementById("search").value.toLowerCase().split(/\\s+/).filter(w => w);
          let shown = 0;
          for (const row of rows) {
            const text = row.dataset.search;
            const keep = words.every(w => text.split(" ").some(t => t === w || t.startsWith(w)));
            row.style.display = keep ? "" : "none";
            if (keep) shown += 1;
          }
          count.textContent = shown + " of " + rows.length + " latents";
        }
        document.getElementById("search").addEventListener("input", filter);
        filter();
        </script></body></html>
        """
    }

    func latentPage(_ l: Latent, previous: Int?, next: Int?) -> String {
        var facts: [(String, String)] = [
            ("images it fires on", "\(l.firing) of \(pictures.count)"),
            ("density (fraction of tokens)", Self.fixed(l.density, 4)),
            ("largest activation", Self.fixed(Double(l.largest), 3)),
        ]
        if let ms = l.monosemanticity { facts.append(("monosemanticity", Self.fixed(ms, 3))) }
        if let c = l.confidence { facts.append(("label confidence", Self.fixed(c, 2))) }
        let factRows = facts.map { "<tr><th>\(escapeHTML($0.0))</th><td class=\"n\">\(escapeHTML($0.1))</td></tr>" }.joined()
        func words(_ list: [String]) -> String { list.map { "<span>\(escapeHTML($0))</span>" }.joined() }
        var tiles = ""
        let largest = max(l.top.flatMap { $0.patches ?? [] }.max() ?? 0, 1e-12)
        for t in l.top {
            // Where it fires, one digit per patch (0: not at all … 9: its largest), drawn by the page's script.
            var shading = ""
            if let patches = t.patches, let g = grid, patches.count == g * g {
                let digits = patches.map { String(Self.level(9 * $0 / largest, of: 9)) }.joined()
                shading = " data-grid=\"\(g)\" data-shade=\"\(digits)\""
            }
            tiles += "<figure><div class=\"tile\"\(shading)><img src=\"../images/\(t.image).png\" alt=\"image \(t.image)\"></div>"
                + "<figcaption>\(Self.fixed(Double(t.peak), 2)) · \(escapeHTML(pictures[t.image].caption))</figcaption></figure>"
        }
        let nav = "<nav><a href=\"../index.html\">all latents</a>"
            + (previous.map { "<a href=\"\($0).html\">← latent \($0)</a>" } ?? "")
            + (next.map { "<a href=\"\($0).html\">latent \($0) →</a>" } ?? "") + "</nav>"
        let heading = "Latent \(l.number)" + (l.label.first.map { ": " + $0 } ?? "")
        return """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(escapeHTML(heading)) · \(escapeHTML(title))</title>
        <meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="../style.css"></head><body>
        \(nav)<h1>\(escapeHTML(heading))</h1><p class="about">\(escapeHTML(description))</p>
        <table>\(factRows)</table>
        \(l.label.isEmpty ? "" : "<h2>Label</h2><p class=\"words\">\(words(l.label))</p>")
        \(l.steering.isEmpty ? "" : "<h2>Steers towards</h2><p class=\"words\">\(words(l.steering))</p>")
        <h2>Where it fires most</h2><div class="tiles">\(tiles)</div>
        <h2>Activations when firing</h2>\(histogramSVG(l))
        <script src="../latent.js"></script>
        </body></html>
        """
    }

    /// Counts of non-zero activations as bars, drawn inline.
    func histogramSVG(_ l: Latent) -> String {
        let width = 420, height = 140, bins = max(1, l.histogram.count), tallest = max(1, l.histogram.max() ?? 1)
        let bar = Double(width - 40) / Double(bins)
        var bars = ""
        for (i, c) in l.histogram.enumerated() where c > 0 {
            // Square-root heights keep rare large activations visible beside the common small ones.
            let h = Double(height - 30) * (Double(c) / Double(tallest)).squareRoot()
            bars += "<rect x=\"\(Self.fixed(30 + Double(i) * bar, 1))\" y=\"\(Self.fixed(Double(height - 20) - h, 1))\" "
                + "width=\"\(Self.fixed(max(bar - 1, 0.5), 1))\" height=\"\(Self.fixed(h, 1))\" fill=\"#4a6fd1\"><title>\(c)</title></rect>"
        }
        let low = Self.fixed(Double(l.histogramRange.lowerBound), 2), high = Self.fixed(Double(l.histogramRange.upperBound), 2)
        return "<svg width=\"\(width)\" height=\"\(height)\" role=\"img\" aria-label=\"histogram of activations\">\(bars)"
            + "<text x=\"30\" y=\"\(height - 4)\" font-size=\"11\">\(low)</text>"
            + "<text x=\"\(width - 10)\" y=\"\(height - 4)\" font-size=\"11\" text-anchor=\"end\">\(high)</text>"
            + "<text x=\"2\" y=\"12\" font-size=\"11\">tokens (√ scale)</text></svg>"
    }

    /// The nearest whole step 0...top of `value`, counted rather than
    /// converted, so a NaN or infinite activation (from a damaged SAE file)
    /// lands at 0 or `top` instead of trapping.
    package static func level(_ value: Float, of top: Int) -> Int {
        var level = 0
        while level < top && Float(level) + 0.5 <= value { level += 1 }
        return level
    }

    static func fixed(_ v: Double, _ digits: Int) -> String {
        v.isFinite ? String(format: "%.\(digits)f", v) : "–"
    }
}
