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

/// `sae.explore(dataset)`: one image at a time with its L0 patch map, and
/// beside it the image again as a grid of patches to click (each button
/// coloured as its patch).
/// Clicking a patch lists its active latents with their activations;
/// choosing a latent shows its top images in the dataset, the patches where
/// it fires highlighted. Everything is encoded once when the widget is made,
/// so a click costs a lookup and a picture.
final class ExploreSession {
    let clip: CLIPModel
    let sae: SparseAutoencoder
    let place: SAEPlacement
    let images: [RGBImage]
    let captions: [String]
    /// Codes of every token of every image: row i·tokens + t (patch p is
    /// token prefix + p, after the class token and any registers).
    let codes: SparseCodes
    let tokens: Int
    let prefix: Int
    let grid: Int
    var patches: Int { grid * grid }
    /// Pictures already drawn, by image and by latent: a second look costs nothing.
    private var pictures: [Int: [UInt8]] = [:], tops: [Int: [UInt8]] = [:]

    init(clip: CLIPModel, sae: SparseAutoencoder, place: SAEPlacement, images: [RGBImage], captions: [String]) throws {
        self.clip = clip; self.sae = sae; self.place = place; self.images = images; self.captions = captions
        let acts = try clip.activations(images: images, layer: place.layer, site: place.site, tokens: .all)
        let (n, t, d) = (acts.shape[0], acts.shape[1], acts.shape[2])
        prefix = clip.config.prefixTokens
        guard let grid = clip.config.patchGrid(patches: t - prefix) else {
            throw SAEError.shapeMismatch("\(t - prefix) tokens are not this model's patches, so there is no patch map to click")
        }
        try sae.checkInputWidth(d)
        self.grid = grid
        tokens = t
        codes = sae.encode(UnsafePointer(acts.pointer), rows: n * t)
    }

    func patchCodes(image: Int, patch: Int) -> [(latent: Int, value: Float)] { codes.row(image * tokens + prefix + patch) }

    func l0(image: Int) -> [Double] { (0..<patches).map { Double(patchCodes(image: image, patch: $0).count) } }

    /// The image with its L0 map over it, as a widget shows it: drawn once per image.
    func picture(image: Int) throws -> [UInt8] {
        if let png = pictures[image] { return png }
        let png = try overlay(image: image, density: Widgets.density).pngData()
        pictures[image] = png
        return png
    }

    /// The L0 map drawn over the image (at figure density for viewers without widgets).
    func overlay(image: Int, density: Int = figureDensity) throws -> RGBImage {
        let values = l0(image: image)
        return try Heatmap.overlay(image: clip.preprocessor.croppedImage(DecodedImage(images[image])), values: values, rows: grid, columns: grid,
                                   colormap: .magma, title: "L0 per patch (mean \(String(format: "%.1f", values.reduce(0, +) / Double(patches))))",
                                   label: "active latents", density: density)
    }

    /// The latents active on one patch, strongest first.
    func latents(image: Int, patch: Int, count: Int = 12) -> [(latent: Int, value: Float)] {
        Array(patchCodes(image: image, patch: patch).sorted { $0.value > $1.value }.prefix(count))
    }

    func topImages(latent: Int, count: Int = 6) throws -> [UInt8] {
        if let png = tops[latent] { return png }
        let profile = try FeatureProfile(latent: latent, codes: codes, images: images.count, tokensPerImage: tokens, selection: place.tokens,
                                         prefix: prefix)
        let png = try topImagesGrid(profile, images: images, captions: captions, clip: clip, count: count, cellSize: 112, density: Widgets.density).pngData()
        tops[latent] = png
        return png
    }

    /// Each patch's mean colour, so the grid of buttons is the image itself,
    /// coarsely, and a click lands where the eye points.
    func colours(image: Int) -> [String] {
        let picture = clip.preprocessor.croppedImage(DecodedImage(images[image]))
        let (w, h) = (picture.width, picture.height)
        return (0..<patches).map { p in
            let (r, c) = (p / grid, p % grid)
            var sum = [0, 0, 0], count = 0
            for y in (r * h / grid)..<((r + 1) * h / grid) {
                for x in (c * w / grid)..<((c + 1) * w / grid) {
                    for k in 0..<3 { sum[k] += Int(picture.pixels[(y * w + x) * 3 + k]) }
                    count += 1
                }
            }
            let mean = sum.map { count > 0 ? $0 / count : 0 }
            return String(format: "#%02x%02x%02x", mean[0], mean[1], mean[2])
        }
    }
}

func registerExploreWidget(_ r: Registry) {
    r.type("SAE").addMethod(BuiltinFunction("explore", [
        Parameter(nil, name: "images", type: "Dataset"),
        Parameter("limit", type: "Int", default: .int(512), doc: "explore at most this many images, the first ones"),
    ], returns: "Widget", doc: "Explore by hand: an image with its L0 patch map as a grid of patches to click. Clicking a patch "
       + "lists the latents active there with their activations; choosing a latent shows its top images in the dataset.") { ctx in
        let object = ctx.sae()
        let place = try object.placement(at: ctx.span)
        let d = try ctx.nonEmptyDataset("images")
        let limit = try ctx.int("limit")
        guard limit >= 1 else { throw ctx.valueError("limit", "explore at least one image") }
        let n = min(d.count, limit)
        let i = ctx.interpreter, span = ctx.span
        do {
            let images = try (0..<n).map { try d.image($0) }
            let session = try ExploreSession(clip: place.clip, sae: object.sae, place: place, images: images, captions: (0..<n).map { d.caption($0) })
            let cell = max(18, min(36, 280 / session.grid))
            let picker = Widgets.slider(i, integer: true, value: 0, min: 0, max: Double(max(1, n - 1)), step: 1, label: "image")
            let picture = Widgets.image(i, png: try session.picture(image: 0), width: 300)
            var colours = session.colours(image: 0)
            let patches = (0..<session.patches).map { p in
                Widgets.button(i, label: "", color: colours[p], tooltip: "patch (\(p / session.grid), \(p % session.grid)): "
                               + "\(session.patchCodes(image: 0, patch: p).count) latents", size: cell)
            }
            let latents = Widgets.toggleButtons(i, labels: [], index: nil, label: "")
            let heading = Widgets.html(i, "<b>Click a patch</b> to list the latents active there.")
            // The top images join the panel when a latent is chosen: an empty image would show as a broken one.
            let top = Widgets.image(i, png: [], width: 420)
            var right: WidgetModel? = nil
            let status = Widgets.html(i, "")
            var current = 0, listed: [Int] = [], chosen: Int? = nil

            func fail(_ error: Error) {
                status.set(["value": .string(Widgets.statusHTML(error, at: span))])
            }
            picker.observe { changed in
                guard changed.contains("value") else { return }
                do {
                    try i.interrupt.check()
                    current = min(n - 1, max(0, picker.state["value"]?.intValue ?? 0))
                    picture.set([:], binary: ["value": try session.picture(image: current)])
                    colours = session.colours(image: current)
                    for (p, button) in patches.enumerated() {
                        Widgets.style(of: button, in: i)?.set(["button_color": .string(colours[p])])
                        button.set(["tooltip": .string("patch (\(p / session.grid), \(p % session.grid)): \(session.patchCodes(image: current, patch: p).count) latents")])
                        if button.state["description"]?.stringValue != "" { button.set(["description": ""]) }
                    }
                    listed = []; chosen = nil
                    right?.set(["children": .array([heading, latents, status].map(\.reference))])
                    latents.set(["_options_labels": [], "index": .null])
                    heading.set(["value": "<b>Click a patch</b> to list the latents active there."])
                    status.set(["value": ""])
                } catch { fail(error) }
            }
            for (p, button) in patches.enumerated() {
                button.onCustom = { content in
                    guard content["event"]?.stringValue == "click" else { return }
                    for other in patches where other.state["description"]?.stringValue != "" { other.set(["description": ""]) }
                    button.set(["description": "●"])
                    let active = session.latents(image: current, patch: p)
                    listed = active.map(\.latent); chosen = nil
                    // A latent's label, when sae.labels named it, follows its number.
                    latents.set(["_options_labels": .array(active.map { a in
                        .string(String(format: "%d · %.2f", a.latent, a.value) + (object.labels[a.latent].map { " · " + $0.label } ?? ""))
                    }), "index": .null])
                    heading.set(["value": .string(active.isEmpty
                        ? "No latent is active on patch (\(p / session.grid), \(p % session.grid))."
                        : "<b>\(session.patchCodes(image: current, patch: p).count) latents</b> active on patch "
                            + "(\(p / session.grid), \(p % session.grid)); the strongest, with their activations. Choose one for its top images.")])
                    status.set(["value": ""])
                }
            }
            latents.observe { changed in
                guard changed.contains("index"), let k = latents.state["index"]?.intValue, listed.indices.contains(k), listed[k] != chosen else { return }
                chosen = listed[k]
                do {
                    try i.interrupt.check()
                    top.set([:], binary: ["value": try session.topImages(latent: listed[k])])
                    right?.set(["children": .array([heading, latents, top, status].map(\.reference))])
                    status.set(["value": ""])
                } catch { fail(error) }
            }

            let map = Widgets.grid(i, patches, columns: session.grid, cell: cell)
            let left = Widgets.box(i, vertical: true, [picker, Widgets.box(i, vertical: false, [picture, map], layout: ["grid_gap": "12px", "align_items": "center"])])
            right = Widgets.box(i, vertical: true, [heading, latents, status], layout: ["width": "460px"])
            let box = Widgets.box(i, vertical: false, [left, right!], layout: ["grid_gap": "16px", "align_items": "flex-start"])
            let first = try session.overlay(image: 0)
            let widget = WidgetObject(box, kind: "Widget", fallback: { DisplayBundle.png(first, text: "sae.explore: L0 per patch of image 0") })
            widget.parts = ["image": picker, "picture": picture, "latents": latents, "top": top, "heading": heading, "status": status]
            for (p, button) in patches.enumerated() { widget.parts["patch \(p)"] = button }
            return .object(widget)
        } catch { throw LoupeError(error, at: ctx.span) }
    })
}
