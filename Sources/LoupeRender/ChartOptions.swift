/// Size, titles and axis scales shared by all charts.
package struct ChartOptions: Sendable {
    package var width: Int
    package var height: Int
    package var title: String?
    package var xLabel: String?
    package var yLabel: String?
    package var logX: Bool
    package var logY: Bool
    /// Tick-label size in pixels; `nil` picks one from the chart's height.
    package var fontSize: Double?
    /// Pixels per display pixel: 2 draws the chart twice as finely, for
    /// high-DPI screens, at the same display size.
    package var density: Int

    package init(width: Int = 640, height: Int = 400, title: String? = nil, xLabel: String? = nil, yLabel: String? = nil,
                logX: Bool = false, logY: Bool = false, fontSize: Double? = nil, density: Int = 1) {
        self.width = width; self.height = height
        self.density = max(1, density)
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
        self.logX = logX; self.logY = logY
        self.fontSize = fontSize
    }

    var textSize: Double { fontSize ?? min(13, max(8, Double(height) / 30)) }
}

/// What a chart cannot draw: the case says which part of the input is wrong,
/// the message says how.
package enum ChartError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Values, labels, captions or series whose counts do not agree.
    case countMismatch(String)
    /// Nothing to draw.
    case empty(String)
    /// A canvas or cell too small to draw in.
    case tooSmall(String)

    package var description: String {
        switch self {
        case .countMismatch(let message), .empty(let message), .tooSmall(let message): message
        }
    }
}
