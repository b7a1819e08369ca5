import Foundation
import Testing

/// `Int(x)` of a Double or Float that is NaN, infinite or beyond Int's
/// range traps, and a trap ends the kernel with every variable of the
/// session. Numbers a user or a front end sends go through checks
/// (`CheckedNumber`, `ctx.clampValue`, `Chart.plottable`); the conversions
/// that remain were each read and found bounded, for the reason given per
/// file. This check lists any new conversion of a floating expression, so
/// it is either routed through `CheckedNumber.exactInt` or read and added
/// here with its reason.
@Suite struct FloatToIntConversionTests {
    struct Site: Hashable { let file: String; let code: String }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The pattern: `Int(` whose argument rounds, takes a root or a logarithm, or converts from Double or Float.
    static let pattern = try! NSRegularExpression(pattern: #"Int\([^)]*(\.rounded|Double\(|Float\(|\.squareRoot|log10|log2|pow\()"#)
    static let exempt = try! NSRegularExpression(pattern: #"Int\((exactly|truncatingIfNeeded|clamping):"#)

    static let reasons: [String: String] = [
        "Sources/LoupeAnalysis/GroundTruth.swift": "a percentile index within a resample count",
        "Sources/LoupeAnalysis/Intervals.swift": "finite by the guards above it: a percentile index within the array, a finite mean times a count",
        "Sources/LoupeAnalysis/Sparsity.swift": "a percentile index within the array",
        "Sources/LoupeBuiltins/AnalysisBuiltins.swift": "a fraction in (0, 1] checked above, times a unit count",
        "Sources/LoupeBuiltins/TrainingBuiltins.swift": "min(…, Int.max / 8) before the conversion",
        "Sources/LoupeBuiltins/Widgets/SteerWidget.swift": "CheckedNumber.exactInt of a clamp",
        "Sources/LoupeBuiltins/Widgets/Widgets.swift": "CheckedNumber.exactInt",
        "Sources/LoupeCLIP/CheckpointLoader.swift": "the square root of a checked tensor dimension",
        "Sources/LoupeCLIP/Preprocess.swift": "image sides, bounded by the decoders' size limits",
        "Sources/LoupeCLIP/PositionInterpolation.swift": "positions on a grid of at most 8192 pixels' patches, finite by construction",
        "Sources/LoupeCLIP/SigLIPCheckpoint.swift": "the square root of a checked tensor dimension",
        "Sources/LoupeImage/PillowResample.swift": "filter support and precision, bounded by the image's scale factor",
        "Sources/LoupeDisplay/ProgressDisplay.swift": "seconds of a progress display, finite and far below Int.max",
        "Sources/LoupeRender/BarChart.swift": "canvas sizes from bounded text and row counts",
        "Sources/LoupeRender/Canvas.swift": "clamped to the canvas before the conversion",
        "Sources/LoupeRender/ChartFrame.swift": "canvas size from bounded options and text",
        "Sources/LoupeRender/Font.swift": "clamped to 1...512",
        "Sources/LoupeRender/Heatmap.swift": "image and title sizes, bounded",
        "Sources/LoupeRender/Histogram.swift": "clamped to 0...bins before the conversion",
        "Sources/LoupeRender/ImageGrid.swift": "grid and image sizes, bounded",
        "Sources/LoupeRender/Rasterizer.swift": "clamped to the canvas before the conversion",
        "Sources/LoupeRender/Resample.swift": "pixel indices within the source image",
        "Sources/LoupeRender/Text.swift": "glyph positions inside a canvas, from finite layout",
        "Sources/LoupeRender/Ticks.swift": "log10 of finite positive values (guarded), or clamped to ±10 first",
        "Sources/LoupeSAE/Training/TrainingCheckpoint.swift": "the bit pattern of the constant 1.0",
    ]

    static let reviewed: Set<Site> = [
        .init(file: "Sources/LoupeAnalysis/Intervals.swift", code: "func percentile(_ q: Double) -> Double { means[min(means.count - 1, max(0, Int((q * Double(means.count - 1)).rounded())))] }"),
        .init(file: "Sources/LoupeAnalysis/Intervals.swift", code: "let sampling = wilson(successes: Int((runs.value * Double(images)).rounded()), of: images)"),
        .init(file: "Sources/LoupeAnalysis/Sparsity.swift", code: "return sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count - 1)).rounded())))]"),
        .init(file: "Sources/LoupeAnalysis/GroundTruth.swift", code: "return Estimate(value: f1(outcomes), low: values[Int(0.025 * Double(resamples - 1))], high: values[Int(0.975 * Double(resamples - 1))],"),
        .init(file: "Sources/LoupeAnalysis/GroundTruth.swift", code: "return Estimate(value: value, low: draws[Int(0.025 * Double(draws.count - 1))], high: draws[Int(0.975 * Double(draws.count - 1))],"),
        .init(file: "Sources/LoupeSAE/Training/TrainingCheckpoint.swift", code: "let scale = Float(bitPattern: UInt32(info[\"input_scale_bits\"]?.intValue ?? Int(Float(1).bitPattern)))"),
        .init(file: "Sources/LoupeCLIP/CheckpointLoader.swift", code: "let grid = Int(Double(pos.shape[0] - 1).squareRoot().rounded())"),
        .init(file: "Sources/LoupeCLIP/PositionInterpolation.swift", code: "let base = Int(real.rounded(.down)), t = real - Float(base)"),
        .init(file: "Sources/LoupeCLIP/SigLIPCheckpoint.swift", code: "let grid = positional.rank == 2 ? Int(Double(positional.shape[0]).squareRoot().rounded()) : 0"),
        .init(file: "Sources/LoupeCLIP/Preprocess.swift", code: "if width <= height { return (size, Int(Double(size) * Double(height) / Double(width))) }"),
        .init(file: "Sources/LoupeCLIP/Preprocess.swift", code: "return (Int(Double(size) * Double(width) / Double(height)), size)"),
        .init(file: "Sources/LoupeCLIP/Preprocess.swift", code: "case .transformers: return Int(Double(length - imageSize) / 2)"),
        .init(file: "Sources/LoupeCLIP/Preprocess.swift", code: "func roundHalfEven(_ v: Double) -> Int { Int(v.rounded(.toNearestOrEven)) }"),
        .init(file: "Sources/LoupeBuiltins/AnalysisBuiltins.swift", code: "units = Contrast.randomUnits(max(1, Int((fraction * Double(units.count)).rounded(.up))), from: units, seed: 0).sorted()"),
        .init(file: "Sources/LoupeBuiltins/Widgets/SteerWidget.swift", code: "CheckedNumber.exactInt(Double(v)).map(String.init) ?? NumberText.fixed(Double(v), digits: 2)"),
        .init(file: "Sources/LoupeBuiltins/Widgets/Widgets.swift", code: "let number: (Double) -> JSON = { integer ? .int(CheckedNumber.exactInt($0.rounded()) ?? 0) : .double($0) }"),
        .init(file: "Sources/LoupeBuiltins/TrainingBuiltins.swift", code: "try checkMemory(count: Int(min(floats, Double(Int.max / 8))), of: 4,"),
        .init(file: "Sources/LoupeImage/PillowResample.swift", code: "let ksize = Int(support.rounded(.up)) * 2 + 1"),
        .init(file: "Sources/LoupeImage/PillowResample.swift", code: "while precision < precisionBits, Int(0.5 + largest * Double(1 << (precision + 1))) < (1 << 15) { precision += 1 }"),
        .init(file: "Sources/LoupeRender/Rasterizer.swift", code: "func pixel(_ v: Double, _ limit: Int) -> Int { Int(min(Double(limit), max(0, v))) }"),
        .init(file: "Sources/LoupeRender/Rasterizer.swift", code: "let ia = Int(lo.rounded(.down)), ib = Int(hi.rounded(.down))"),
        .init(file: "Sources/LoupeRender/BarChart.swift", code: "let height = max(1, Int((titleHeight + row * Double(max(1, labels.count)) + 4 * unit).rounded()))"),
        .init(file: "Sources/LoupeRender/BarChart.swift", code: "var canvas = Canvas(width: Int(canvasWidth.rounded()), height: height)"),
        .init(file: "Sources/LoupeRender/Heatmap.swift", code: "let w = max(1, Int((Double(image.width) * scale).rounded())), h = max(1, Int((Double(image.height) * scale).rounded()))"),
        .init(file: "Sources/LoupeRender/Heatmap.swift", code: "let titleHeight = titleLines.isEmpty ? 0 : Int((Double(titleLines.count) * titleLine + size * 0.6).rounded())"),
        .init(file: "Sources/LoupeRender/Ticks.swift", code: "let a = Int(log10(lo).rounded(.down)), b = Int(log10(hi).rounded(.up))"),
        .init(file: "Sources/LoupeRender/Ticks.swift", code: "let decimals = step > 0 && step.isFinite ? max(0, min(6, Int(max(-10, min(10, (-log10(step)).rounded(.up)))))) : 2"),
        .init(file: "Sources/LoupeRender/Ticks.swift", code: "let e = Int(log10(value).rounded(.down))"),
        .init(file: "Sources/LoupeRender/Ticks.swift", code: "let e = Int(log10(abs(value)).rounded(.down))"),
        .init(file: "Sources/LoupeRender/Text.swift", code: "let ix = Int(x.rounded()), iy = Int(y.rounded())"),
        .init(file: "Sources/LoupeRender/ImageGrid.swift", code: "let cols = max(1, min(images.count, columns ?? min(8, Int(Double(images.count).squareRoot().rounded(.up)))))"),
        .init(file: "Sources/LoupeRender/ImageGrid.swift", code: "let titleHeight = titleLines.isEmpty ? 0 : Int((Double(titleLines.count) * titleLine + size * 0.7).rounded())"),
        .init(file: "Sources/LoupeRender/ImageGrid.swift", code: "let w = max(1, Int((Double(img.width) * scale).rounded())), h = max(1, Int((Double(img.height) * scale).rounded()))"),
        .init(file: "Sources/LoupeRender/Canvas.swift", code: "let ix0 = Int(x0.rounded(.down)), ix1 = Int(x1.rounded(.up))"),
        .init(file: "Sources/LoupeRender/Canvas.swift", code: "let iy0 = Int(y0.rounded(.down)), iy1 = Int(y1.rounded(.up))"),
        .init(file: "Sources/LoupeRender/Resample.swift", code: "let x0 = Int(Double(x) * sx), x1 = max(x0 + 1, min(src.width, Int(Double(x + 1) * sx)))"),
        .init(file: "Sources/LoupeRender/Resample.swift", code: "let y0 = Int(Double(y) * sy), y1 = max(y0 + 1, min(src.height, Int(Double(y + 1) * sy)))"),
        .init(file: "Sources/LoupeRender/Resample.swift", code: "let i = (min(src.height - 1, Int(Double(y) * sy)) * src.width + min(src.width - 1, Int(Double(x) * sx))) * 3"),
        .init(file: "Sources/LoupeRender/ChartFrame.swift", code: "canvas = Canvas(width: Int(width.rounded()), height: Int((top + plotHeight + bottom + extra).rounded()))"),
        .init(file: "Sources/LoupeRender/Histogram.swift", code: "counts[min(bins - 1, max(0, Int(min(Double(bins), max(0, t * Double(bins))))))] += 1"),
        .init(file: "Sources/LoupeRender/Font.swift", code: "private static func pixels(_ size: Double) -> Int { max(1, min(512, Int(size.rounded()))) }"),
        .init(file: "Sources/LoupeDisplay/ProgressDisplay.swift", code: "let s = Int(seconds.rounded())"),
    ]

    static func sites() throws -> Set<Site> {
        var found = Set<Site>()
        let sources = root.appendingPathComponent("Sources")
        let walker = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        while let url = walker?.nextObject() as? URL {
            guard url.pathExtension == "swift" else { continue }
            let text = try String(contentsOf: url, encoding: .utf8)
            let relative = "Sources/" + url.path.dropFirst(sources.path.count + 1)
            for line in text.components(separatedBy: "\n") {
                let range = NSRange(line.startIndex..., in: line)
                guard pattern.firstMatch(in: line, range: range) != nil, exempt.firstMatch(in: line, range: range) == nil else { continue }
                found.insert(Site(file: relative, code: line.trimmingCharacters(in: .whitespaces)))
            }
        }
        return found
    }

    @Test func everyConversionOfAFloatingValueToIntWasRead() throws {
        let found = try Self.sites()
        #expect(found.count >= 10, "found only \(found.count) conversions; is the source tree at \(Self.root.path)?")
        let unread = found.subtracting(Self.reviewed).sorted { ($0.file, $0.code) < ($1.file, $1.code) }
        let listing = unread.map { "\($0.file): \($0.code)" }.joined(separator: "\n")
        #expect(unread.isEmpty, "conversions of a floating value to Int that nobody has read:\n\(listing)\nroute each through CheckedNumber.exactInt, or read it and list it here with why it cannot trap")
        for site in found { #expect(Self.reasons[site.file] != nil, "\(site.file) has no reason") }
        let gone = Self.reviewed.subtracting(found)
        #expect(gone.isEmpty, "listed conversions no longer in the sources (remove them from the list): \(gone.map(\.code))")
    }
}
