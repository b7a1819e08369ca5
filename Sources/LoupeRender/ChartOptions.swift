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

package struct ChartError: Error, CustomStringConvertible, Sendable {
    package let message: String
    package var description: String { message }
    init(_ message: String) { self.message = message }
}
