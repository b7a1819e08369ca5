import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeDisplay
import LoupeImage
import LoupeLanguage
import LoupeRender
import LoupeSAE

/// The clamp a feature page and an export steer with unless told: Joseph
/// et al.'s 150, chosen on ViT-B/32 layer 11.
let featureSteeringClamp = 150.0

/// The images on which a latent fires most, captioned with its peak, with
/// the patches where it fires highlighted (when the tokens form a grid).
func topImagesGrid(_ profile: FeatureProfile, images: [RGBImage], captions: [String], clip: CLIPModel, count: Int,
                   cellSize: Int = 128, density: Int = figureDensity) throws -> RGBImage {
    let ranking = profile.ranking
    guard !ranking.isEmpty else { throw SAEError.neverFires(latent: profile.latent, images: profile.images) }
    let order = ranking.prefix(max(1, count))
    let peaks = profile.peaks
    let t = profile.tokensPerImage
    let grid = clip.config.patchGrid(patches: t - profile.prefix) ?? 0
    let spatial = grid > 0 && profile.selected.upperBound == t
    let tiles = try order.map { i -> RGBImage in
        let cropped = clip.preprocessor.croppedImage(DecodedImage(images[i]))
        guard spatial else { return cropped }
        return try Heatmap.highlight(image: cropped, values: profile.spatial(i).map(Double.init), rows: grid, columns: grid)
    }
    return try ImageGrid.render(tiles, captions: order.map { String(format: "%.2f · %@", peaks[$0], captions[$0]) }, cellSize: cellSize,
                                title: "Latent \(profile.latent): fires on \(ranking.count) of \(profile.images) images; the top \(order.count) by its "
                                    + "largest activation over the image's tokens", density: density)
}

extension CallContext {
    /// What `sae.topImages` and `sae.feature` start from: the receiver SAE's
    /// place, the dataset `in`, its images and the profile of the latent
    /// argument `latent` over them, refused when it never fires there.
    func firingProfile(latent key: String) throws -> (place: SAEPlacement, dataset: DatasetObject, images: [RGBImage], profile: FeatureProfile) {
        let object = sae()
        let place = try object.placement(at: span)
        let latent = try self.latent(key)
        let d = try nonEmptyDataset("in")
        let images = try d.allImages(interpreter)
        let profile = try FeatureProfile(place.clip, sae: object.sae, latent: latent, layer: place.layer, site: place.site,
                                         tokens: place.tokens, images: images)
        guard !profile.ranking.isEmpty else {
            throw LoupeError(.value, "latent \(latent) never fires on these \(d.count) images", at: spanOf(key))
        }
        return (place, d, images, profile)
    }
}

func registerFeaturePage(_ r: Registry) {
    r.type("SAE").addMethod(BuiltinFunction("activeLatents", [
        Parameter(nil, name: "image", type: "Image"),
        Parameter("top", type: "Int", default: .int(10), doc: "how many latents to list"),
    ], returns: "Table", doc: "The latents that fire on one image, strongest first: each with its largest activation over the "
       + "tokens the SAE reads and on how many of those tokens it fires.") { ctx in
        let place = try ctx.sae().placement(at: ctx.span)
        let image = try ctx.object("image", as: ImageObject.self, named: "an Image")
        let top = try ctx.int("top")
        guard top >= 1 else { throw ctx.valueError("top", "list at least one latent") }
        do {
            let active = try ActiveLatents.on(image.image, model: place.clip, sae: ctx.sae().sae, layer: place.layer, site: place.site,
                                              tokens: place.tokens)
            return .object(TableObject(title: "\(active.count) latents fire on \(image.caption ?? "the image")",
                                       columns: ["latent", "peak activation", "tokens"],
                                       rows: active.prefix(top).map { [.int($0.latent), .double(Double($0.peak)), .int($0.tokens)] }))
        } catch { throw LoupeError(error, at: ctx.span) }
    })

    r.type("SAE").addMethod(BuiltinFunction("feature", [
        Parameter(nil, name: "latent", type: "Int", doc: "the latent to describe"),
        Parameter("in", type: "Dataset", doc: "the images to look in"),
        Parameter("count", type: "Int", default: .int(8), doc: "how many top images to show"),
        Parameter("vocabulary", type: "[String]", default: .null, doc: "words to measure steering towards (omit to skip steering)"),
        Parameter("clamp", type: "Double", default: .double(featureSteeringClamp), doc: "the value the latent is clamped to when steering"),
        Parameter("steerImages", type: "Int", default: .int(32), doc: "how many of the images (the first ones) to steer"),
    ], returns: "Feature", doc: "A feature page for one latent: its top images with the active patches highlighted, "
       + "the histogram of its non-zero activations, its density (fraction of tokens it fires on), its monosemanticity "
       + "over the images and, with a vocabulary, the words it steers towards (Delta p(v) with it clamped, and S).") { ctx in
        let object = ctx.sae()
        let vocabulary = ctx.has("vocabulary") ? try ctx.vocabulary() : []
        let steerCount = try ctx.int("steerImages")
        guard steerCount >= 1 else { throw ctx.valueError("steerImages", "steer at least one image") }
        do {
            let (place, d, images, profile) = try ctx.firingProfile(latent: "latent")
            let latent = profile.latent
            let grid = try topImagesGrid(profile, images: images, captions: (0..<d.count).map { d.caption($0) }, clip: place.clip,
                                         count: try ctx.int("count"))
            let firing = profile.firing
            var rows: [[Value]] = [
                ["latent", .int(latent)], ["layer", .int(place.layer)],
                ["images it fires on", .string("\(profile.ranking.count) of \(d.count)")],
                ["density (fraction of tokens)", .double(profile.density)],
                ["largest activation", .double(Double(firing.max() ?? 0))],
                ["mean activation when firing", .double(firing.isEmpty ? 0 : Double(firing.reduce(0, +)) / Double(firing.count))],
            ]
            // Monosemanticity of this latent alone: its image-level activation
            // (the mean over the SAE's tokens) against the images' embeddings.
            let embeddings = place.clip.embed(images: images)
            if d.count >= 2 {
                let ms = profile.monosemanticity(embeddings: embeddings)
                rows.append(["monosemanticity", ms.map(Value.double) ?? .string("undefined (constant on these images)")])
            }
            // Its name: from this vocabulary over these images when one is
            // given (and kept), else the one sae.labels found.
            if !vocabulary.isEmpty, let label = LatentLabeling.label(
                latents: [0], peaks: LatentPeaks(dense: profile.peaks, images: profile.images, units: 1), imageEmbeddings: embeddings,
                wordEmbeddings: try place.clip.embed(texts: vocabulary), vocabulary: vocabulary, top: 3).first ?? nil {
                object.labels[latent] = label.renumbered(latent)
            }
            if let label = object.labels[latent] {
                rows.append(["label", .string(label.words.map(\.word).joined(separator: ", ")
                                               + String(format: " (confidence %.2f, z %.1f)", label.confidence, label.words.first?.z ?? 0))])
            }
            let histogram = try Chart.histogram(firing.map(Double.init), bins: 30, options: ChartOptions(
                width: 420, height: 280, title: String(format: "Activations when firing (density %.2g)", profile.density),
                xLabel: "activation", yLabel: "tokens", logY: true, density: figureDensity))
            var lower = [histogram]
            if !vocabulary.isEmpty {
                let steering = try FeatureSteering(place.clip, sae: object.sae, latent: latent, layer: place.layer, site: place.site,
                                                   tokens: place.tokens, images: Array(images.prefix(steerCount)),
                                                   vocabulary: vocabulary, clamp: Float(try ctx.clampValue("clamp")))
                let clamp = try ctx.clampValue("clamp")
                rows.append([.string(String(format: "steerability S (clamp %g, %d images)", clamp, min(steerCount, d.count))),
                             .double(steering.score)])
                let best = steering.ranked.prefix(8)
                for w in best.prefix(5) { rows.append([.string("Δ p(\(w.word))"), .double(w.delta)]) }
                lower.append(try Chart.horizontalBars(labels: best.map(\.word), values: best.map(\.delta),
                                                      width: 360, title: String(format: "Steers towards (S = %.3f)", steering.score),
                                                      valueFormat: { String(format: "%+.3f", $0) }, density: figureDensity))
            }
            let page = arrange([grid, arrange(lower, vertical: false)], vertical: true)
            let table = TableObject(title: "Feature \(latent) of the layer-\(place.layer) SAE over \(d.count) images",
                                    columns: ["measure", "value"], rows: rows)
            return .object(FigureObject(kind: "Feature", table: table, image: page))
        } catch { throw LoupeError(error, at: ctx.span) }
    })
    let feature = BuiltinType("Feature", doc: "A feature page: top images, activation histogram, density and steering of one latent.",
                              isGlobal: false)
    addFigureMembers(to: feature)
    r.add(feature)
}
