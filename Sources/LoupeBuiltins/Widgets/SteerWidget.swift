import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeDisplay
import LoupeImage
import LoupeJSON
import LoupeLanguage
import LoupeRender
import LoupeSAE
import LoupeTensor

/// `clip.steer(sae, image:, labels:)`: choose a latent (from the most
/// steerable ones on this image, or by number), drag its clamp, and watch the
/// zero-shot probabilities and the nearest words of a vocabulary move; a
/// second view shows where on the image the latent fires. The steering is
/// `ImageSteering`'s (LoupeAnalysis); this controller turns each change of a
/// control into one steered pass and the views' new state.
final class SteerController {
    let steering: ImageSteering
    let interrupt: InterruptToken
    let span: SourceSpan
    /// The latents the drop-down offers, most steerable first.
    let offered: [Int]
    let startClamp: Double
    let choice: WidgetModel, number: WidgetModel, slider: WidgetModel
    let table: WidgetModel, words: WidgetModel, map: WidgetModel, status: WidgetModel
    /// The starting view's table: what the widget shows where widgets cannot.
    let firstTable: TableObject
    /// The latent whose firing map is shown.
    private var shown: Int
    private var maps: [Int: [UInt8]] = [:]

    init(_ steering: ImageSteering, offered: [Int], offeredLabels: [String], clamp: Double, in i: Interpreter, at span: SourceSpan) throws {
        self.steering = steering; self.offered = offered; self.startClamp = clamp; self.span = span
        interrupt = i.interrupt
        choice = Widgets.dropdown(i, labels: offeredLabels, index: 0, label: "most steerable")
        number = Widgets.intText(i, value: offered[0], min: 0, max: steering.sae.dSAE - 1, label: "latent")
        slider = Widgets.slider(i, integer: false, value: clamp, min: 0, max: max(200, clamp * 2), step: 1, label: "clamp")
        shown = offered[0]
        let first = try steering.steered(latent: offered[0], clamp: Float(clamp))
        firstTable = Self.table(steering, latent: offered[0], clamp: Float(clamp), steered: first.labels)
        table = Widgets.html(i, firstTable.html, width: "420px")
        words = Widgets.html(i, Self.wordsHTML(steering, first.words), width: "320px")
        let firstMap = try Self.firingMap(steering, latent: offered[0]).pngData()
        map = Widgets.image(i, png: firstMap, width: 280)
        status = Widgets.html(i, "")
        maps[offered[0]] = firstMap
        // The models hold their observers and the session's widget host holds
        // the models, so the controller lives as long as its widget can be moved.
        choice.observe { [self] changed in
            guard changed.contains("index"), let k = choice.state["index"]?.intValue, offered.indices.contains(k) else { return }
            number.set(["value": .int(offered[k])])
            update()
        }
        number.observe { [self] changed in if changed.contains("value") { update() } }
        slider.observe { [self] changed in if changed.contains("value") { update() } }
    }

    /// One steered pass for the controls' latent and clamp, and the views it changes.
    func update() {
        let latent = number.state["value"]?.intValue ?? offered[0]
        let value = Float(slider.state["value"]?.doubleValue ?? startClamp)
        do {
            try interrupt.check()
            let p = try steering.steered(latent: latent, clamp: value)
            table.set(["value": .string(Self.table(steering, latent: latent, clamp: value, steered: p.labels).html)])
            words.set(["value": .string(Self.wordsHTML(steering, p.words))])
            if latent != shown { map.set([:], binary: ["value": try firingMapPNG(latent: latent)]); shown = latent }
            status.set(["value": ""])
        } catch {
            // An interrupted or failed update says so and leaves the controls working.
            status.set(["value": .string(Widgets.statusHTML(error, at: span))])
        }
    }

    static func table(_ s: ImageSteering, latent: Int, clamp: Float, steered p: [Float]) -> TableObject {
        let order = s.labels.indices.sorted { p[$0] > p[$1] }
        return TableObject(title: "Zero-shot probabilities, latent \(latent) clamped to \(format(clamp))",
                           columns: ["label", "clean", "steered"],
                           rows: order.map { [.string(s.labels[$0]), .string(String(format: "%.1f%%", 100 * s.cleanLabels[$0])), .double(Double(p[$0]))] },
                           barColumn: 2)
    }

    /// The vocabulary's most probable words with the clamp, and how much each gained.
    static func wordsHTML(_ s: ImageSteering, _ words: [Float], count: Int = 6) -> String {
        let order = s.vocabulary.indices.sorted { words[$0] > words[$1] }.prefix(count)
        let items = order.map { j -> String in
            let gain = Double(words[j] - s.cleanWords[j])
            return "<li><b>\(escapeHTML(s.vocabulary[j]))</b> \(String(format: "%.3f", words[j])) "
                + "<span style=\"color:\(gain >= 0 ? "#1a7f37" : "#b42318")\">(\(gain >= 0 ? "+" : "")\(String(format: "%.3f", gain)))</span></li>"
        }
        return "<div style=\"font-size:13px\"><div><b>Nearest words</b> (of \(s.vocabulary.count), probability and change)</div>"
            + "<ol style=\"margin:4px 0 0 18px;padding:0\">\(items.joined())</ol></div>"
    }

    /// `firingMap` as PNG, drawn once per latent: the clamp does not move it.
    func firingMapPNG(latent: Int) throws -> [UInt8] {
        if let png = maps[latent] { return png }
        let png = try Self.firingMap(steering, latent: latent).pngData()
        maps[latent] = png
        return png
    }

    /// Where the latent fires on the image, as a heatmap over the patches.
    static func firingMap(_ s: ImageSteering, latent: Int) throws -> RGBImage {
        let cropped = s.model.preprocessor.croppedImage(DecodedImage(s.image))
        guard let grid = s.grid, let values = s.patchActivations(latent: latent) else { return cropped }
        return try Heatmap.overlay(image: cropped, values: values, rows: grid, columns: grid, colormap: .magma,
                                   title: "Where latent \(latent) fires", label: "activation", density: Widgets.density)
    }

    static func format(_ v: Float) -> String {
        CheckedNumber.exactInt(Double(v)).map(String.init) ?? NumberText.fixed(Double(v), digits: 2)
    }
}

func registerSteerWidget(_ r: Registry) {
    r.type("CLIP").addMethod(BuiltinFunction("steer", [
        Parameter(nil, name: "sae", type: "SAE"),
        Parameter("image", type: "Image"),
        Parameter("labels", type: "[String]", doc: "the zero-shot labels whose probabilities to watch"),
        Parameter("vocabulary", type: "[String]", default: .null, doc: "words to rank by probability (default: vocabulary(.scenes))"),
        Parameter("clamp", type: "Double", default: .double(50), doc: "where the clamp slider starts"),
        Parameter("choices", type: "Int", default: .int(12), doc: "how many of the most steerable latents the drop-down offers"),
    ], returns: "Widget", doc: "Steer by hand: a drop-down of the latents that steer this image most (or type a latent's number), "
       + "a slider for its clamp, and live views of the zero-shot probabilities, the nearest vocabulary words, and where "
       + "the latent fires. Each change runs the image once through the model with the latent clamped.") { ctx in
        let model = ctx.clip()
        let object = try ctx.object("sae", as: SAEObject.self, named: "an SAE")
        let place = try object.placement(in: model, at: ctx.spanOf("sae"))
        let image = try ctx.object("image", as: ImageObject.self, named: "an Image").image
        let labels = try ctx.textsToEmbed("labels", at: 1000, what: "labels")
        guard labels.count >= 2 else { throw ctx.valueError("labels", "give at least two labels to compare") }
        let vocabulary = ctx.has("vocabulary") ? try ctx.vocabulary() : Vocabularies.sceneWords
        let clamp = try ctx.clampValue("clamp"), choices = try ctx.int("choices")
        guard choices >= 1 else { throw ctx.valueError("choices", "offer at least one latent") }
        do {
            let steering = try ImageSteering(model: model, sae: object.sae, layer: place.layer, site: place.site, tokens: place.tokens,
                                             image: image, labels: labels, vocabulary: vocabulary)
            // The most steerable of the latents that fire on the image, measured on its labels at the starting clamp.
            var candidates = Array(steering.activeLatents.prefix(64))
            if candidates.isEmpty { candidates = Array(0..<min(object.sae.dSAE, choices)) }
            let measured = try Steerability.measure(model, kind: .latent(object.sae, tokens: place.tokens), units: candidates,
                                                    layer: place.layer, images: [image], vocabulary: labels, clamp: Float(clamp))
            let ranked = measured.units.indices.sorted { measured.scores[$0] > measured.scores[$1] }.prefix(choices)
            let c = try SteerController(steering, offered: ranked.map { measured.units[$0] },
                                        offeredLabels: ranked.map { String(format: "latent %d (S %.2f)", measured.units[$0], measured.scores[$0]) },
                                        clamp: clamp, in: ctx.interpreter, at: ctx.span)
            let i = ctx.interpreter
            let controls = Widgets.box(i, vertical: false, [c.choice, c.number, c.slider])
            let views = Widgets.box(i, vertical: false, [c.table, c.words, c.map], layout: ["align_items": "flex-start", "grid_gap": "16px"])
            let box = Widgets.box(i, vertical: true, [controls, views, c.status])
            let widget = WidgetObject(box, kind: "Widget", fallback: { [firstTable = c.firstTable] in firstTable.display() })
            widget.parts = ["latents": c.choice, "latent": c.number, "clamp": c.slider, "table": c.table, "words": c.words, "map": c.map,
                            "status": c.status]
            return .object(widget)
        } catch { throw LoupeError(error, at: ctx.span) }
    })
}
