import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeDisplay
import LoupeFeatureBrowser
import LoupeImage
import LoupeLanguage
import LoupeSAE

/// The pages of a feature browser, gathered from one pass over the images:
/// every token encoded once, each latent's profile read from the codes.
func featureBrowser(_ object: SAEObject, place: SAEPlacement, dataset d: DatasetObject, images: [RGBImage], latents: [Int],
                    top: Int, ms: MonosemanticityObject?, steering: [Int: [String]]) throws -> FeatureBrowser {
    let model = place.clip
    let acts = try model.activations(images: images, layer: place.layer, site: place.site, tokens: .all)
    let (n, t, width) = (acts.shape[0], acts.shape[1], acts.shape[2])
    try object.sae.checkInputWidth(width)
    let codes = object.sae.encode(UnsafePointer(acts.pointer), rows: n * t)
    let prefix = place.site.isInBlock ? model.config.prefixTokens : 0
    let grid = model.config.patchGrid(patches: t - prefix)
    var pages: [FeatureBrowser.Latent] = []
    for latent in latents {
        let profile = try FeatureProfile(latent: latent, codes: codes, images: n, tokensPerImage: t, selection: place.tokens, prefix: prefix)
        let firing = profile.firing, peaks = profile.peaks
        let low = firing.min() ?? 0, high = firing.max() ?? 0
        var histogram = [Int](repeating: 0, count: 30)
        for a in firing {
            histogram[high > low ? FeatureBrowser.level((a - low) / (high - low) * 30 - 0.5, of: 29) : 0] += 1
        }
        let spatial = grid != nil && profile.selected.upperBound == t
        let label = object.labels[latent]
        pages.append(FeatureBrowser.Latent(
            number: latent, label: label?.words.map(\.word) ?? [], confidence: label?.confidence, steering: steering[latent] ?? [],
            density: profile.density, firing: profile.ranking.count, largest: high,
            monosemanticity: ms.flatMap { latent < $0.scores.count ? $0.scores[latent] : nil },
            histogram: histogram, histogramRange: low...max(low, high),
            top: profile.ranking.prefix(top).map { i in
                FeatureBrowser.TopImage(image: i, peak: peaks[i], patches: spatial ? profile.spatial(i) : nil)
            }))
    }
    let hook = object.sae.hookPoint
    let about = "\(object.sae.architecture.description) SAE with \(object.sae.dSAE) latents reading \(model.config.family.rawValue) "
        + "\(model.config.architectureName) (\((model.path as NSString).lastPathComponent)) at layer \(place.layer), "
        + "\(hook.site.rawValue), \(place.tokens.rawValue) tokens; \(latents.count) latents over \(n) images of \(d.source.description). "
        + "A latent's images are its top ones by its largest activation over the image's tokens; patches where it fires little or not at all are dimmed. "
        + "Labels: the words its top images agree with (docs/labels.md)."
    let pictures = (0..<n).map { FeatureBrowser.Picture(image: model.preprocessor.croppedImage(DecodedImage(images[$0])), caption: d.caption($0)) }
    return FeatureBrowser(title: "Feature browser: layer \(place.layer) SAE", description: about, grid: grid, pictures: pictures, latents: pages)
}

func registerExport(_ r: Registry) {
    r.type("SAE").addMethod(BuiltinFunction("export", [
        Parameter(nil, name: "folder", type: "String", doc: "a new (or empty) folder; one that holds files is refused, never overwritten"),
        Parameter("images", type: "Dataset", doc: "the images whose top-firing ones each page shows"),
        Parameter("latents", type: "[Int] or Range", default: .null, doc: "which latents get a page (default: every latent that fires on the images)"),
        Parameter("top", type: "Int", default: .int(8), doc: "top images per latent (1 to 32)"),
        Parameter("ms", type: "Monosemanticity", default: .null, doc: "scores from sae.monosemanticity(...) to show beside each latent"),
        Parameter("vocabulary", type: "[String]", default: .null,
                  doc: "label the latents not yet labelled over these words (as sae.labels), and measure the words each steers towards"),
        Parameter("steerImages", type: "Int", default: .int(8), doc: "with a vocabulary: how many of the images (the first ones) to steer"),
    ], returns: "String", doc: "Writes a static feature browser: index.html with search over labels and numbers, one page per latent "
       + "(top images with the patches where it does not fire dimmed, density, label, steering words, MS when given) and thumbnails of at "
       + "most 96 pixels; it opens from disk with no server and no network. Returns the folder. docs/feature-browser.md gives "
       + "its size.") { ctx in
        let object = ctx.sae()
        let folder = try ctx.string("folder")
        guard !folder.trimmingCharacters(in: .whitespaces).isEmpty else { throw ctx.valueError("folder", "give a folder to write into") }
        let top = try ctx.int("top")
        guard (1...32).contains(top) else { throw ctx.valueError("top", "show 1 to 32 images per latent, got \(top)") }
        let steerCount = try ctx.int("steerImages")
        guard steerCount >= 1 else { throw ctx.valueError("steerImages", "steer at least one image") }
        let ms: MonosemanticityObject? = ctx.has("ms") ? try ctx.object("ms", as: MonosemanticityObject.self, named: "a Monosemanticity") : nil
        if let ms, ms.unit != "latent" || ms.scores.count != object.sae.dSAE {
            throw ctx.valueError("ms", "these scores are of \(ms.scores.count) \(ms.unit)s, not of this SAE's \(object.sae.dSAE) latents")
        }
        // Refused before any work: the folder must be new or empty.
        do { try FeatureBrowser.checkTarget(folder) } catch { throw LoupeError(.io, "\(error)", at: ctx.spanOf("folder")) }
        do {
            let place = try object.placement(at: ctx.span)
            let d = try ctx.nonEmptyDataset("images")
            let images = try d.allImages(ctx.interpreter)
            // The SAE's tokens, encoded once for both the latents that fire and their labels.
            var encoded: LatentPeaks?
            func peaks() throws -> LatentPeaks {
                if let encoded { return encoded }
                let measured = try LatentPeaks.measure(object.sae, tokens: try place.clip.activations(
                    images: images, layer: place.layer, site: place.site, tokens: place.tokens))
                encoded = measured
                return measured
            }
            var latents: [Int]
            if ctx.has("latents") {
                latents = try ctx.unitIndices("latents", below: object.sae.dSAE)
            } else {
                let firing = try peaks()
                latents = (0..<object.sae.dSAE).filter { !firing.firing($0).isEmpty }
            }
            guard !latents.isEmpty else { throw ctx.valueError("latents", "no latent fires on these images; nothing to export") }
            var steering: [Int: [String]] = [:]
            if ctx.has("vocabulary") {
                let vocabulary = try ctx.vocabulary()
                let missing = latents.filter { object.labels[$0] == nil }
                if !missing.isEmpty {
                    let found = LatentLabeling.label(latents: missing, peaks: try peaks(),
                                                     imageEmbeddings: place.clip.embed(images: images),
                                                     wordEmbeddings: try place.clip.embed(texts: vocabulary), vocabulary: vocabulary, top: 3)
                    for l in found.compactMap({ $0 }) { object.labels[l.latent] = l }
                }
                let progress = ProgressDisplay(output: ctx.interpreter.output, title: "Steering each latent", total: latents.count)
                for (done, latent) in latents.enumerated() {
                    try ctx.checkInterrupt()
                    let measured = try FeatureSteering(place.clip, sae: object.sae, latent: latent, layer: place.layer, site: place.site,
                                                       tokens: place.tokens, images: Array(images.prefix(steerCount)),
                                                       vocabulary: vocabulary, clamp: Float(featureSteeringClamp))
                    steering[latent] = measured.ranked.prefix(5).filter { $0.delta > 0 }.map(\.word)
                    progress.update(done: done + 1)
                }
            }
            let site = try featureBrowser(object, place: place, dataset: d, images: images, latents: latents, top: top, ms: ms,
                                          steering: steering)
            let written = try site.write(to: folder)
            ctx.interpreter.output.stream("Wrote a feature browser of \(latents.count) latents over \(images.count) images to "
                + "\(written.folder): \(written.files) files, " + String(format: "%.1f MB", Double(written.bytes) / 1e6) + "\n",
                toStandardError: false)
            return .string(written.folder + "/index.html")
        } catch let error as LoupeError { throw error } catch { throw LoupeError(error, at: ctx.span) }
    })
}
