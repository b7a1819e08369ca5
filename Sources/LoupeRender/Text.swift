/// Where a piece of text sits relative to the point it is drawn at.
package enum HorizontalAnchor: Sendable { case left, centre, right }
package enum VerticalAnchor: Sendable { case top, middle, baseline, bottom }

extension Canvas {
    /// Draws one line of text. The anchor point is `at`; with `.left` and
    /// `.baseline` that is the pen's starting position on the baseline.
    /// `vertical: true` turns the text a quarter turn anticlockwise, reading
    /// bottom to top (a y-axis label); the anchors then apply to the turned box.
    package mutating func text(_ s: String, at p: Point, font: Font, size: Double, _ colour: Colour = .ink,
                              horizontal: HorizontalAnchor = .left, vertical: VerticalAnchor = .baseline,
                              turned: Bool = false, alpha: Double = 1, outline: Colour? = nil, outlineWidth: Int = 2) {
        let t = font.render(s, size: size)
        guard t.mask.width > 0 else { return }
        var mask = t.mask
        var w = Double(mask.width), h = Double(mask.height)
        var baselineOffset = Double(t.baseline)
        if turned {
            mask = mask.rotatedLeft()
            swap(&w, &h)
            baselineOffset = w / 2   // no baseline in a turned box: use its middle
        }
        var x = p.x, y = p.y
        switch horizontal {
        case .left: x -= turned ? 0 : Double(t.originX)
        case .centre: x -= w / 2
        case .right: x -= w
        }
        switch vertical {
        case .top: break
        case .middle: y -= h / 2
        case .baseline: y -= turned ? h / 2 : baselineOffset
        case .bottom: y -= h
        }
        let ix = Int(x.rounded()), iy = Int(y.rounded())
        if let outline, outlineWidth > 0 {
            draw(mask.dilated(by: outlineWidth), x: ix - outlineWidth, y: iy - outlineWidth, outline, alpha: alpha)
        }
        draw(mask, x: ix, y: iy, colour, alpha: alpha)
    }
}

extension Font {
    /// `text` broken into lines no wider than `width` pixels, at spaces where
    /// it can be and inside a word only when that word alone is too wide:
    /// nothing is dropped, so figures grow to show whole labels.
    package func wrap(_ text: String, size: Double, width: Double) -> [String] {
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var current = ""
            for word in paragraph.split(separator: " ").map(String.init) {
                let candidate = current.isEmpty ? word : current + " " + word
                if measure(candidate, size: size) <= width { current = candidate; continue }
                if !current.isEmpty { lines.append(current) }
                current = ""
                // A word wider than the line is split between characters.
                for c in word {
                    if !current.isEmpty, measure(current + String(c), size: size) > width { lines.append(current); current = "" }
                    current.append(c)
                }
            }
            lines.append(current)
        }
        return lines
    }

    /// Whether `text` wraps without breaking any word.
    package func wrapsAtSpaces(_ text: String, size: Double, width: Double) -> Bool {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" }).allSatisfy { measure(String($0), size: size) <= width }
    }

    /// Draws wrapped lines centred (or left-aligned) from `top`; returns the height used.
    @discardableResult
    func drawLines(_ lines: [String], on canvas: inout Canvas, x: Double, top: Double, size: Double,
                   lineHeight: Double, horizontal: HorizontalAnchor = .centre, colour: Colour = .ink) -> Double {
        for (i, line) in lines.enumerated() {
            canvas.text(line, at: Point(x, top + Double(i) * lineHeight), font: self, size: size, colour,
                        horizontal: horizontal, vertical: .top)
        }
        return Double(lines.count) * lineHeight
    }
}
