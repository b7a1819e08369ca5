import Foundation
import LoupeImage
import LoupeJSON
import LoupeNotebook
import LoupeRender
import Testing

@Suite struct OutputComparisonTests {
    let tolerances = Tolerances(relative: 1e-3, absolute: 1e-6, pixelLevel: 8, pixelShare: 0.01)

    func cell(_ outputs: [JSON]) -> Notebook.Cell {
        Notebook.Cell(index: 3, id: "abc", source: "sae.metrics(acts)\n", outputs: outputs)
    }

    func result(_ data: [String: JSON]) -> JSON { ["output_type": "execute_result", "data": .object(data), "metadata": [:]] }

    func table(_ value: Double) -> JSON {
        result(["text/plain": .string("MSE \(value)"),
                "application/vnd.loupe.table+json": ["columns": ["metric", "value"], "rows": [["MSE", .double(value)], ["L0", 16]]]])
    }

    func drifts(_ stored: [JSON], _ fresh: [JSON], _ tolerances: Tolerances? = nil) -> [Drift] {
        var comparison = OutputComparison(tolerances: tolerances ?? self.tolerances)
        return comparison.compare(cell(stored), fresh: fresh)
    }

    @Test func tablesAgreeWithinTheRelativeTolerance() {
        #expect(drifts([table(0.25)], [table(0.2501)]).isEmpty)
    }

    @Test func aTableOutsideTheToleranceIsNamedByCellOutputAndPlace() throws {
        let found = drifts([table(0.25)], [table(0.30)])
        let tableDrift = try #require(found.first { $0.part == "application/vnd.loupe.table+json" })
        #expect(tableDrift.cell == 3 && tableDrift.cellID == "abc" && tableDrift.output == 0)
        #expect(tableDrift.detail.contains("rows[0][1] is 0.3 now, 0.25 stored"))
        #expect(tableDrift.description.hasPrefix("cell 3 (id abc) `sae.metrics(acts)`, output 0"))
    }

    @Test func wordsCompareExactly() {
        let found = drifts([result(["text/plain": "a red star"])], [result(["text/plain": "a blue star"])])
        #expect(found.count == 1 && found[0].part == "text/plain")
        #expect(found.first?.detail == "\"a blue star\" now, \"a red star\" stored")
    }

    @Test func streamsCompareAsOneTextHoweverSplit() {
        let stored: [JSON] = [["output_type": "stream", "name": "stdout", "text": ["acc", "uracy 0.5\n"]]]
        let fresh: [JSON] = [["output_type": "stream", "name": "stdout", "text": "accuracy "],
                             ["output_type": "stream", "name": "stdout", "text": "0.5\n"]]
        #expect(drifts(stored, fresh).isEmpty)
    }

    @Test func aMissingOrExtraOutputIsDrift() {
        let found = drifts([table(0.25)], [table(0.25), result(["text/plain": "more"])])
        #expect(found.contains { $0.output == nil && $0.detail.contains("2 outputs now") })
    }

    @Test func progressIsNotComparedSinceItsPresenceIsTiming() {
        func progress(_ elapsed: Double, done: Int) -> JSON {
            ["output_type": "display_data", "metadata": [:], "data": [
                "text/plain": .string("Training: 100% · \(done)/300 · \(elapsed)/s · done in \(elapsed)s"),
                "application/vnd.loupe.progress+json": ["title": "Training", "done": .int(done), "total": 300,
                                                        "elapsed_s": .double(elapsed), "state": "done"],
            ]]
        }
        #expect(drifts([progress(1.5, done: 300), table(0.25)], [progress(2.75, done: 300), table(0.25)]).isEmpty)
        // Work under half a second shows no progress; on a loaded machine it does.
        #expect(drifts([table(0.25)], [progress(0.6, done: 96), table(0.25)]).isEmpty)
    }

    @Test func theBLASCoreInASummaryIsTheMachineNotTheResult() {
        #expect(drifts([result(["text/plain": "computing with OpenBLAS Cooperlake (the library chose Prescott), 2 threads"])],
                       [result(["text/plain": "computing with OpenBLAS Haswell, 16 threads"])]).isEmpty)
    }

    @Test func aWidgetsModelIDIsNewInEveryRun() {
        func widget(_ id: String) -> JSON {
            result(["text/plain": "Steer", "application/vnd.jupyter.widget-view+json": ["version_major": 2, "model_id": .string(id)]])
        }
        #expect(drifts([widget("5303899528")], [widget("72af")]).isEmpty)
    }

    /// A 20×10 picture, grey, with `changed` pixels raised by `by` levels.
    func picture(changed: Int, by: Int) throws -> String {
        var pixels = [UInt8](repeating: 100, count: 20 * 10 * 3)
        for p in 0..<changed { pixels[p * 3] = UInt8(100 + by) }
        return Data(try RGBImage(width: 20, height: 10, pixels: pixels).pngData()).base64EncodedString()
    }

    @Test func picturesCompareByPixels() throws {
        let stored = [result(["image/png": .string(try picture(changed: 0, by: 0))])]
        // One pixel of 200 beyond the level is 0.5%, within 1%.
        #expect(drifts(stored, [result(["image/png": .string(try picture(changed: 1, by: 100))])]).isEmpty)
        // Many pixels a little off (within 8 levels) pass too.
        #expect(drifts(stored, [result(["image/png": .string(try picture(changed: 200, by: 5))])]).isEmpty)
        // Ten pixels far off are 5%.
        let found = drifts(stored, [result(["image/png": .string(try picture(changed: 10, by: 100))])])
        #expect(found.count == 1 && found[0].part == "image/png" && found[0].detail.hasPrefix("5% of pixels differ"))
    }

    @Test func picturesInlinedInHTMLCompareByPixelsToo() throws {
        func figure(_ png: String, _ caption: String) -> JSON {
            result(["text/html": .string("<figure><img src=\"data:image/png;base64,\(png)\"><figcaption>\(caption)</figcaption></figure>")])
        }
        let same = try picture(changed: 0, by: 0)
        #expect(drifts([figure(same, "L0 0.50")], [figure(try picture(changed: 1, by: 3), "L0 0.50")]).isEmpty)
        #expect(drifts([figure(same, "L0 0.50")], [figure(try picture(changed: 50, by: 90), "L0 0.50")]).first?.detail
                    .hasPrefix("inlined picture 0:") == true)
        #expect(drifts([figure(same, "L0 0.50")], [figure(same, "L0 0.90")]).count == 1)
    }

    @Test func aPictureOfAnotherSizeIsDrift() throws {
        let other = Data(try RGBImage(width: 10, height: 10, pixels: [UInt8](repeating: 0, count: 300)).pngData()).base64EncodedString()
        let found = drifts([result(["image/png": .string(try picture(changed: 0, by: 0))])], [result(["image/png": .string(other)])])
        #expect(found.first?.detail == "the picture is 10×10 now, 20×10 stored")
    }

    @Test func errorsCompareByKindAndMessage() {
        func error(_ message: String) -> JSON {
            ["output_type": "error", "ename": "ValueError", "evalue": .string(message), "traceback": []]
        }
        #expect(drifts([error("no such layer")], [error("no such layer")]).isEmpty)
        #expect(drifts([error("no such layer")], [error("another")]).count == 1)
    }

    @Test func movesWithinToleranceAreListed() {
        var comparison = OutputComparison(tolerances: tolerances)
        _ = comparison.compare(cell([table(0.25)]), fresh: [table(0.2501)])
        #expect(comparison.moves.contains { $0.detail.hasPrefix("rows[0][1]: 0.25 → 0.2501") })
        #expect(comparison.measure.numbers >= 1 && comparison.measure.largestRelative > 3e-4)
    }
}

@Suite struct SavedFormTests {
    @Test func aNaNInAFreshTableIsTheNullTheFileHolds() {
        var comparison = OutputComparison(tolerances: .sameMachine)
        let stored: JSON = ["output_type": "execute_result", "metadata": [:],
                            "data": ["text/plain": "t", "application/vnd.loupe.table+json": ["rows": [[1, .null]]]]]
        let fresh: JSON = ["output_type": "execute_result", "metadata": [:],
                           "data": ["text/plain": "t", "application/vnd.loupe.table+json": ["rows": [[1, .double(.nan)]]]]]
        #expect(comparison.compare(Notebook.Cell(index: 0, id: nil, source: "", outputs: [stored]), fresh: [fresh]).isEmpty)
    }
}
