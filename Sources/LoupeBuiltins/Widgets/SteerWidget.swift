import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeImage
import LoupeJSON
import LoupeLanguage
import LoupeRender
import LoupeSAE
import LoupeTensor

/// `clip.steer(sae, image:, labels:)`: choose a latent (from the most
/// steerable ones on this image, or by number), drag its clamp, and watch the
/// zero-shot probabilities and the nearest words of a vocabulary move; a
/// second view shows where on the image the latent fires. Each change runs
/// one forward pass of the image with the latent clamped (the SAE's error
/// added back, as `clip.with(sae:, clamp:)`).
final class SteeringSession {
    let model: CLIPModel
    let sae: SparseAutoencoder
    let place: SAEPlacement
    let image: RGBImage
    let labels: [String]
    let vocabulary: [String]
    let labelText: Tensor, vocabularyText: Tensor
    let cleanLabels: [Float], cleanWords: [Float]
    /// The image's codes on every token (one forward pass, one encoding),
    /// the rows the SAE reads, and the patch grid if the patches form one.
    let codes: SparseCodes
    let selected: Range<Int>
    let grid: Int?

    init(model: CLIPModel, sae: SparseAutoencoder, place: SAEPlacement, image: RGBImage, labels: [String], vocabulary: [String]) throws {
        self.model = model; self.sae = sae; self.place = place; self.image = image; self.labels = labels; self.vocabulary = vocabulary
        labelText = try model.embed(texts: labels)
        vocabularyText = try model.embed(texts: vocabulary)
        let clean = model.embed(images: [image])
        cleanLabels = FeatureSteering.probabilities(clean, text: labelText)
        cleanWords = FeatureSteering.probabilities(clean, text: vocabularyText)
        let acts = try model.activations(images: [image], layer: place.layer, site: place.site, tokens: .all)
        let tokens = acts.shape[1]
        codes = try sae.encode(acts.toArray(), width: acts.shape[2])
        selected = place.tokens.range(tokens: tokens)
        let side = Int(Double(tokens - 1).squareRoot().rounded())
        grid = side * side == tokens - 1 ? side : nil
    }

    /// The latents that fire on the image, strongest first.
    var activeLatents: [Int] {
        var peak: [Int: Float] = [:]
        for r in selected { for (latent, value) in codes.row(r) { peak[latent] = max(peak[latent] ?? 0, value) } }
        return peak.keys.sorted { peak[$0]! > peak[$1]! }
    }

    /// Probabilities over the labels and the vocabulary with `latent` clamped to `clamp`.
    func steered(latent: Int, clamp: Float) throws -> (labels: [Float], words: [Float]) {
        let hooks = try Intervention.hooks(sae, layer: place.layer, site: place.site, tokens: place.tokens, clamp: [latent: clamp])
        let embedding = model.embed(images: [image], hooks: hooks)
        return (FeatureSteering.probabilities(embedding, text: labelText), FeatureSteering.probabilities(embedding, text: vocabularyText))
    }

    func table(latent: Int, clamp: Float, steered p: [Float]) -> TableObject {
        let order = labels.indices.sorted { p[$0] > p[$1] }
        return TableObject(title: "Zero-shot probabilities, latent \(latent) clamped to \(Self.format(clamp))",
                           columns: ["label", "clean", "steered"],
                           rows: order.map { [.string(labels[$0]), .string(String(format: "%.1f%%", 100 * cleanLabels[$0])), .double(Double(p[$0]))] },
                           barColumn: 2)
    }

    /// The vocabulary's most probable words with the clamp, and how much each gained.
    func wordsHTML(_ words: [Float], count: Int = 6) -> String {
        let order = vocabulary.indices.sorted { words[$0] > words[$1] }.prefix(count)
        let items = order.map { j -> String in
            let gain = Double(words[j] - cleanWords[j])
            return "<li><b>\(escapeHTML(vocabulary[j]))</b> \(String(format: "%.3f", words[j])) "
                + "<span style=\"color:\(gain >= 0 ? "#1a7f37" : "#b42318")\">(\(gain >= 0 ? "+" : "")\(String(format: "%.3f", gain)))</span></li>"
        }
        return "<div style=\"font-size:13px\"><div><b>Nearest words</b> (of \(vocabulary.count), probability and change)</div>"
            + "<ol style=\"margin:4px 0 0 18px;padding:0\">\(items.joined())</ol></div>"
    }

    private var maps: [Int: [UInt8]] = [:]

    /// `firingMap` as PNG, drawn once per latent: the clamp does not move it.
    func firingMapPNG(latent: Int) throws -> [UInt8] {
        if let png = maps[latent] { return png }
        let png = try firingMap(latent: latent).pngData()
        maps[latent] = png
        return png
    }

    /// Where the latent fires on the image, as a heatmap over the patches.
    func firingMap(latent: Int) throws -> RGBImage {
        let cropped = model.preprocessor.croppedImage(DecodedImage(image))
        guard let grid else { return cropped }
        let values = (1..<codes.rows).map { r in Double(codes.row(r).first { $0.latent == latent }?.value ?? 0) }
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
        let i = ctx.interpreter, span = ctx.span
        do {
            let steering = try SteeringSession(model: model, sae: object.sae, place: place, image: image, labels: labels, vocabulary: vocabulary)
            // The most steerable of the latents that fire on the image, measured on its labels at the starting clamp.
            var candidates = Array(steering.activeLatents.prefix(64))
            if candidates.isEmpty { candidates = Array(0..<min(object.sae.dSAE, choices)) }
            let measured = try Steerability.measure(model, kind: .latent(object.sae, tokens: place.tokens), units: candidates,
                                                    layer: place.layer, images: [image], vocabulary: labels, clamp: Float(clamp))
            let ranked = measured.units.indices.sorted { measured.scores[$0] > measured.scores[$1] }.prefix(choices)
            let offered = ranked.map { measured.units[$0] }
            let offeredLabels = ranked.map { String(format: "latent %d (S %.2f)", measured.units[$0], measured.scores[$0]) }

            let choice = Widgets.dropdown(i, labels: offeredLabels, index: 0, label: "most steerable")
            let number = Widgets.intText(i, value: offered[0], min: 0, max: object.sae.dSAE - 1, label: "latent")
            let slider = Widgets.slider(i, integer: false, value: clamp, min: 0, max: max(200, clamp * 2), step: 1, label: "clamp")
            let first = try steering.steered(latent: offered[0], clamp: Float(clamp))
            let firstTable = steering.table(latent: offered[0], clamp: Float(clamp), steered: first.labels)
            let table = Widgets.html(i, firstTable.display().data["text/html"]?.stringValue ?? "", width: "420px")
            let words = Widgets.html(i, steering.wordsHTML(first.words), width: "320px")
            let map = Widgets.image(i, png: try steering.firingMapPNG(latent: offered[0]), width: 280)
            let status = Widgets.html(i, "")

            var shown = offered[0]
            func update() {
                let latent = number.state["value"]?.intValue ?? offered[0]
                let value = Float(slider.state["value"]?.doubleValue ?? clamp)
                do {
                    try i.interrupt.check()
                    let p = try steering.steered(latent: latent, clamp: value)
                    table.set(["value": .string(steering.table(latent: latent, clamp: value, steered: p.labels).display().data["text/html"]?.stringValue ?? "")])
                    words.set(["value": .string(steering.wordsHTML(p.words))])
                    if latent != shown { map.set([:], binary: ["value": try steering.firingMapPNG(latent: latent)]); shown = latent }
                    status.set(["value": ""])
                } catch {
                    // An interrupted or failed update says so and leaves the controls working.
                    status.set(["value": .string(Widgets.statusHTML(error, at: span))])
                }
            }
            choice.observe { changed in
                guard changed.contains("index"), let k = choice.state["index"]?.intValue, offered.indices.contains(k) else { return }
                number.set(["value": .int(offered[k])])
                update()
            }
            number.observe { changed in if changed.contains("value") { update() } }
            slider.observe { changed in if changed.contains("value") { update() } }

            let controls = Widgets.box(i, vertical: false, [choice, number, slider])
            let views = Widgets.box(i, vertical: false, [table, words, map], layout: ["align_items": "flex-start", "grid_gap": "16px"])
            let box = Widgets.box(i, vertical: true, [controls, views, status])
            let widget = WidgetObject(box, kind: "Widget", fallback: { firstTable.display() })
            widget.parts = ["latents": choice, "latent": number, "clamp": slider, "table": table, "words": words, "map": map, "status": status]
            return .object(widget)
        } catch let e as LoupeError { throw e } catch { throw languageError(error, at: ctx.span) }
    })
}
