/// Where a piece of text sits relative to the point it is drawn at.
public enum HorizontalAnchor: Sendable { case left, centre, right }
public enum VerticalAnchor: Sendable { case top, middle, baseline, bottom }

extension Canvas {
    /// Draws one line of text. The anchor point is `at`; with `.left` and
    /// `.baseline` that is the pen's starting position on the baseline.
    /// `vertical: true` turns the text a quarter turn anticlockwise, reading
    /// bottom to top (a y-axis label); the anchors then apply to the turned box.
    public mutating func text(_ s: String, at p: Point, font: Font, size: Double, _ colour: Colour = .ink,
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
    /// `text` shortened with an ellipsis until it fits in `maxWidth` pixels.
    public func truncate(_ text: String, size: Double, toWidth maxWidth: Double) -> String {
        if measure(text, size: size) <= maxWidth { return text }
        var chars = Array(text)
        while !chars.isEmpty {
            chars.removeLast()
            let candidate = String(chars) + "…"
            if measure(candidate, size: size) <= maxWidth { return candidate }
        }
        return ""
    }
}
