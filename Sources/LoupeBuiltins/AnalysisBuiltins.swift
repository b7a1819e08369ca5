import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeDisplay
import LoupeImage
import LoupeLanguage
import LoupeRender
import LoupeSAE
import LoupeTensor

/// Steerability of every measured unit, with the layer summary.
public final class SteerabilityObject: HostObject {
    package let result: SteerabilityResult
    public let label: String
    /// Which count `coverage` gives; the summary shows both.
    package let coverageCount: ConceptCoverage
    public var typeName: String { "Steerability" }
    init(_ result: SteerabilityResult, label: String, coverage: ConceptCoverage = .firstImage) {
        self.result = result; self.label = label; self.coverageCount = coverage
    }

    var coverage: Int { result.coverage(coverageCount) }

    var summary: String {
        "\(label): mean S " + NumberText.withInterval(result.meanEstimate, percent: false) + "; steerable (S > 0.10) "
            + NumberText.withInterval(result.fractionEstimate) + "; concept coverage \(result.coverage(.firstImage)) words by "
            + ConceptCoverage.firstImage.origin + ", \(result.coverage(.meanDelta)) by " + ConceptCoverage.meanDelta.origin
    }

    func table(count: Int) -> TableObject {
        let order = result.scores.indices.sorted { result.scores[$0] > result.scores[$1] }.prefix(count)
        return TableObject(title: summary, columns: ["unit", "S", "top word", "Δ top word", "top word on image 0"], rows: order.map { i in
            [.int(result.units[i]), .double(result.scores[i]), .string(result.vocabulary[result.topWord[i]]), .double(result.topDelta[i]),
             .string(result.vocabulary[result.firstImageWord[i]])]
        })
    }

    public func display() -> DisplayBundle {
        var bundle = table(count: 20).display()
        if case .object(var o)? = bundle.data[LoupeMIME.table] {
            o["mean_score"] = .double(result.meanScore)
            o["fraction_steerable"] = .double(result.fractionSteerable)
            o["fraction_steerable_low"] = .double(result.fractionEstimate.low)
            o["fraction_steerable_high"] = .double(result.fractionEstimate.high)
            o["coverage"] = .int(coverage)
            o["coverage_by"] = .string(coverageCount.rawValue)
            o["coverage_mean_delta"] = .int(result.coverage(.meanDelta))
            o["coverage_first_image"] = .int(result.coverage(.firstImage))
            o["units"] = .int(result.scores.count)
            bundle.data[LoupeMIME.table] = .object(o)
        }
        return bundle
    }
}

/// A linear probe on a model's image embeddings for one attribute.
public final class ProbeObject: HostObject {
    package let probe: LinearProbe
    package let model: CLIPModel
    public let attribute: String
    public let trainAccuracy: Double
    public let trainCount: Int
    public var typeName: String { "Probe" }

    init(probe: LinearProbe, model: CLIPModel, attribute: String, trainAccuracy: Double, trainCount: Int) {
        self.probe = probe; self.model = model; self.attribute = attribute
        self.trainAccuracy = trainAccuracy; self.trainCount = trainCount
    }

    public func display() -> DisplayBundle {
        DisplayBundle(text: String(format: "Linear probe for '%@' on %d images, classes %@; training accuracy %.3f", attribute,
                                   trainCount, probe.classes.joined(separator: ", "), trainAccuracy))
    }
}

extension DatasetObject {
    func values(of attribute: String) throws -> [String] {
        try indices.map { try source.value($0, of: attribute) }
    }
}

/// Image-level activations [images, latents] of an SAE over a dataset.
func imageActivations(_ object: SAEObject, _ d: DatasetObject, measure: ImageMeasure = .meanActivation,
                      at span: SourceSpan, interpreter: Interpreter) throws -> [Float] {
    let place = try object.placement(at: span)
    let perToken = try place.clip.activations(images: try d.allImages(interpreter), layer: place.layer, site: place.site,
                                              tokens: place.tokens)
    return try Monosemanticity.imageActivations(object.sae, tokens: perToken, measure: measure)
}

func registerAnalyses(_ r: Registry) {
    r.type("CLIP").addMethod(BuiltinFunction("probe", [
        Parameter(nil, name: "images", type: "Dataset", doc: "labelled training images"),
        Parameter("label", type: "String", doc: "the attribute to predict, e.g. \"shape\" or \"group\""),
        Parameter("steps", type: "Int", default: .int(300)),
    ], returns: "Probe", doc: "Fits a logistic-regression probe on the model's normalised image embeddings.") { ctx in
        let model = ctx.clip()
        let d = try ctx.object("images", as: DatasetObject.self, named: "a Dataset")
        let attribute = try ctx.string("label")
        let values = try d.values(of: attribute)
        guard Set(values).count >= 2 else {
            throw ctx.valueError("label", "'\(attribute)' takes only one value in these images; a probe needs two or more")
        }
        let steps = try ctx.int("steps")
        guard (1...100_000).contains(steps) else { throw ctx.valueError("steps", "give 1 to 100,000 steps, got \(steps)") }
        let embeddings = model.embed(images: try d.allImages(ctx.interpreter))
        let stop = ctx.interpreter.interrupt
        let fitted = LinearProbe.fit(features: embeddings.toArray(), dim: embeddings.shape[1], labels: values,
                                     steps: steps, shouldStop: { stop.isRequested })!
        try ctx.checkInterrupt()
        return .object(ProbeObject(probe: fitted.probe, model: model, attribute: attribute,
                                   trainAccuracy: fitted.trainingAccuracy, trainCount: d.count))
    })
    let probe = BuiltinType("Probe", doc: "A linear probe on CLIP image embeddings.", isGlobal: false)
    probe.addMethod(BuiltinFunction("evaluate", [
        Parameter(nil, name: "images", type: "Dataset"),
        Parameter("groups", type: "[String]", default: .null, doc: "required: the class attribute and the spurious attribute, e.g. [\"bird\", \"place\"]: "
                  + "worst-group accuracy is over their value combinations"),
    ], returns: "Table", doc: "Accuracy per group (class × spurious attribute), overall and the worst group's, each with its "
       + "95% Wilson interval and n; the embeddings are computed now, so inside `clip.with(sae, ablate: ...) { }` they see "
       + "the ablation.") { ctx in
        let p = ctx.receiver.objectValue as! ProbeObject
        let d = try ctx.nonEmptyDataset("images")
        let truth = try d.values(of: p.attribute)
        let groupNames = try d.groupNames(try ctx.worstGroupAttributes("groups", classAttribute: p.attribute))
        let embeddings = p.model.embed(images: try d.allImages(ctx.interpreter))
        let result = p.probe.groupAccuracy(embeddings.toArray(), truth: truth, groups: groupNames)
        func row(_ name: String, _ e: Estimate) -> [Value] { [.string(name), .int(e.n), .double(e.value), .double(e.low), .double(e.high)] }
        var rows = result.groups.map { row($0.name, $0.interval) }
        rows.append(row("overall", result.overallInterval))
        if let worst = result.worstGroup { rows.append(row("worst group (\(worst.name))", worst.interval)) }
        return .object(TableObject(title: "Probe for '\(p.attribute)' on \(d.count) images: accuracy per group with 95% Wilson intervals",
                                   columns: ["group", "n", "accuracy", "low", "high"], rows: rows))
    })
    r.add(probe)

    r.type("SAE").addMethod(BuiltinFunction("topImages", [
        Parameter("feature", type: "Int", doc: "the latent"),
        Parameter("in", type: "Dataset", doc: "the images to search"),
        Parameter("count", type: "Int", default: .int(16)),
    ], returns: "Image", doc: "The images on which a latent fires most (its largest activation over the image's tokens), "
       + "as a captioned grid with the patches where it fires highlighted.") { ctx in
        do {
            let (place, d, images, profile) = try ctx.firingProfile(latent: "feature")
            let picture = try topImagesGrid(profile, images: images, captions: (0..<d.count).map { d.caption($0) }, clip: place.clip,
                                            count: try ctx.int("count"))
            return .object(ImageObject(picture, caption: "latent \(profile.latent)"))
        } catch { throw LoupeError(error, at: ctx.span) }
    })

    r.type("SAE").addMethod(BuiltinFunction("contrast", [
        Parameter(nil, name: "with", type: "Dataset", doc: "images with the attribute (e.g. on water)"),
        Parameter(nil, name: "without", type: "Dataset", doc: "images without it"),
        Parameter("top", type: "Int", default: .int(20)),
        Parameter("by", type: "Option", default: .enumCase("mean", []),
                  doc: ".mean: mean activation over the image's tokens; .frequency: fraction of its tokens where the latent fires "
                     + "(finds latents that fire on a few patches, such as a drawn word's, rather than strong always-on ones)",
                  choices: Options.imageMeasure),
        Parameter("maxWithout", type: "Double", default: .null,
                  doc: "keep only latents whose measure on `without` is at most this (with .frequency, 0.01: latents that fire "
                     + "on at most 1% of those images' tokens), so that ablating them leaves images without the attribute alone"),
    ], returns: "[Int]", doc: "Latents ranked by their image-level activation on `with` minus on `without` "
       + "(by default the mean over the SAE's tokens), highest first: candidates to ablate.") { ctx in
        let object = ctx.sae()
        let with = try ctx.object("with", as: DatasetObject.self, named: "a Dataset")
        let without = try ctx.object("without", as: DatasetObject.self, named: "a Dataset")
        let measure = ImageMeasure(rawValue: try ctx.option("by").name)!
        guard with.count > 0, without.count > 0 else { throw LoupeError(.value, "both datasets need images", at: ctx.span) }
        let order = Contrast.rank(with: try imageActivations(object, with, measure: measure, at: ctx.span, interpreter: ctx.interpreter),
                                  without: try imageActivations(object, without, measure: measure, at: ctx.span, interpreter: ctx.interpreter),
                                  units: object.sae.dSAE, maxWithout: ctx.has("maxWithout") ? try ctx.double("maxWithout") : nil)
        return .array(order.prefix(max(0, try ctx.int("top"))).map { .int($0) })
    })

    r.type("CLIP").addMethod(BuiltinFunction("contrast", [
        Parameter(nil, name: "with", type: "Dataset", doc: "images with the attribute (e.g. with a drawn word)"),
        Parameter(nil, name: "without", type: "Dataset", doc: "images without it"),
        Parameter("layer", type: "Int", doc: "the layer whose residual coordinates (neurons) to rank"),
        Parameter("top", type: "Int", default: .int(20)),
    ], returns: "[Int]", doc: "The neuron baseline of `sae.contrast`: residual coordinates at a layer ranked by their mean over "
       + "an image's tokens on `with` minus on `without`, highest first; ablate them with `clip.with(neurons: layer, ablate:)`.") { ctx in
        let model = ctx.clip()
        let layer = try ctx.layer("layer")
        let with = try ctx.object("with", as: DatasetObject.self, named: "a Dataset")
        let without = try ctx.object("without", as: DatasetObject.self, named: "a Dataset")
        guard with.count > 0, without.count > 0 else { throw LoupeError(.value, "both datasets need images", at: ctx.span) }
        func stream(_ d: DatasetObject) throws -> Tensor {
            try model.activations(images: try d.allImages(ctx.interpreter), layer: layer, tokens: .all)
        }
        do {
            let order = Contrast.rankNeurons(with: try stream(with), without: try stream(without))
            return .array(order.prefix(max(0, try ctx.int("top"))).map { .int($0) })
        } catch { throw LoupeError(error, at: ctx.span) }
    })

    r.type("CLIP").addMethod(BuiltinFunction("steerability", [
        Parameter(nil, name: "sae", type: "SAE", default: .null, doc: "the SAE whose latents to steer (at its layer)"),
        Parameter("neurons", type: "Int", default: .null, doc: "instead of an SAE: a layer whose residual coordinates to steer"),
        Parameter("vocabulary", type: "[String]", default: .null, doc: "the words v of p(v|x) (with preset: .joseph2025, "
                  + "by default the 5,000 most frequent English words)"),
        Parameter("images", type: "Dataset"),
        Parameter("clamp", type: "Double", default: .null, doc: "the value a unit is clamped to on every token (default 150, "
                  + "the paper's on ViT-B/32 layer 11; another model's residual stream has another scale)"),
        Parameter("units", type: "[Int] or Range", default: .null, doc: "which latents or neurons (default: all)"),
        Parameter("sample", type: "Double", default: .null, doc: "measure a seeded random fraction of the units, as the paper "
                  + "measured 5% of its 49,152 latents for cost (sample: 0.05)"),
        Parameter("preset", type: "Option", default: .null, doc: "a paper's protocol: .joseph2025 takes the first 192 images, "
                  + "5,000 English words, first-image coverage and clamp 150 on ViT-B/32 layer 11 (on another model give clamp:); "
                  + "docs/protocols.md lists what differs", choices: Options.steerabilityPresets),
        Parameter("calibrateWith", type: "CLIP", default: .null,
                  doc: "the paper's ViT-B/32: carries preset .joseph2025's clamp of 150 (chosen at its layer 11) to this model "
                     + "and layer, scaled by the ratio of the two mean residual-stream token norms over these images; the "
                     + "summary prints both norms and the scale"),
        Parameter("coverage", type: "Option", default: .enumCase("firstImage", []),
                  doc: "how `.coverage` picks a steerable unit's word: .firstImage (the top steered word on the first image, "
                     + "Prisma's notebooks' count behind the paper's figures) or .meanDelta (argmax of mean Delta); the summary shows both",
                  choices: Options.coverage),
    ], returns: "Steerability", doc: "Joseph et al.'s steerability: clamp each unit on every token (adding back the SAE error), "
       + "Delta(v) = mean change of p(v|x) = softmax(100 <e(x), t_v>), S = sum of Delta(v)^2; steerable when S > 0.10; "
       + "concept coverage = distinct words among steerable units. "
       + "At the last layer every unit is computed in closed form without another transformer pass.") { ctx in
        let stop = ctx.interpreter.interrupt
        let model = ctx.clip()
        let preset: SteerabilityProtocol? = ctx.has("preset") ? (try ctx.option("preset").name == "joseph2025" ? .joseph2025 : nil) : nil
        let coverage = ConceptCoverage(rawValue: try ctx.option("coverage").name)!
        let vocabulary: [String]
        if ctx.has("vocabulary") { vocabulary = try ctx.vocabulary() }
        else if let preset {
            do { vocabulary = Array(try EnglishWords.load().prefix(preset.vocabularySize)) } catch { throw LoupeError(error, at: ctx.span) }
        } else { throw ctx.valueError("vocabulary", "give the words to steer towards, e.g. vocabulary: vocabulary(.english), or preset: .joseph2025") }
        var d = try ctx.nonEmptyDataset("images")
        if let preset {
            guard d.count >= preset.images else {
                throw ctx.valueError("images", "preset .joseph2025 steers the first \(preset.images) images; this dataset has \(d.count)")
            }
            d = DatasetObject(source: d.source, indices: Array(d.indices.prefix(preset.images)))
        }
        let kind: Steerability.Unit, layer: Int, total: Int, label: String
        if ctx.has("sae") {
            let object = try ctx.object("sae", as: SAEObject.self, named: "an SAE")
            (kind, layer) = try steerableLatents(object, in: model, at: ctx.spanOf("sae"))
            total = object.sae.dSAE; label = "SAE latents at layer \(layer)"
        } else if ctx.has("neurons") {
            layer = try ctx.layer("neurons")
            kind = .neuron; total = model.config.vision.width; label = "neurons of layer \(layer)"
        } else {
            throw LoupeError(.argument, "give an SAE (clip.steerability(sae, ...)) or a layer of neurons (neurons: 11)", at: ctx.span)
        }
        var units = Array(0..<total)
        if ctx.has("units") { units = try ctx.unitIndices("units", below: total) }
        if ctx.has("sample") {
            let fraction = try ctx.double("sample")
            guard fraction > 0, fraction <= 1 else { throw ctx.valueError("sample", "give a fraction in (0, 1], e.g. 0.05; got \(fraction)") }
            units = Contrast.randomUnits(max(1, Int((fraction * Double(units.count)).rounded(.up))), from: units, seed: 0).sorted()
        }
        let clamp: Double
        var calibration: ClampCalibration? = nil
        if ctx.has("calibrateWith") {
            guard let preset, !ctx.has("clamp") else {
                throw ctx.valueError("calibrateWith", "calibrateWith: carries preset .joseph2025's clamp to this model; "
                                     + "add preset: .joseph2025 and leave clamp: out")
            }
            let reference = try ctx.object("calibrateWith", as: CLIPObject.self, named: "a CLIP (the paper's ViT-B/32)").model
            do {
                calibration = try preset.calibrate(model, layer: layer, reference: reference, images: try d.allImages(ctx.interpreter))
            } catch { throw LoupeError(.value, "\(error)", at: ctx.spanOf("calibrateWith")) }
            clamp = calibration!.clamp
        } else if ctx.has("clamp") { clamp = try ctx.clampValue("clamp") }
        else if let preset {
            guard let c = preset.clamp(for: model.config, layer: layer) else {
                throw ctx.valueError("clamp", "preset .joseph2025's clamp of \(Int(preset.clamp)) belongs to \(preset.clampModel) layer "
                                     + "\(preset.clampLayer); this is \(model.config.architectureName) layer \(layer), whose residual stream has "
                                     + "another scale. Give calibrateWith: the paper's ViT-B/32 to scale it by the residual norms, "
                                     + "or clamp: yourself, on the steep part of clip.steerabilityCurve")
            }
            clamp = c
        } else { clamp = SteerabilityProtocol.joseph2025.clamp }
        var presetNote = preset.map { _ in " (preset .joseph2025\(ctx.has("clamp") ? ", clamp set by hand" : ""))" } ?? ""
        if let c = calibration {
            presetNote = " (preset .joseph2025, clamp 150 × " + NumberText.fixed(c.scale, digits: 3) + " = "
                + NumberText.fixed(c.clamp, digits: 1) + ": mean token norm " + NumberText.fixed(c.modelNorm, digits: 2)
                + " here against " + NumberText.fixed(c.referenceNorm, digits: 2) + " at ViT-B/32 layer 11)"
        }
        let progress = ProgressDisplay(output: ctx.interpreter.output, title: "Steering \(label)", total: units.count)
        let result: SteerabilityResult
        do {
            result = try Steerability.measure(model, kind: kind, units: units, layer: layer,
                                              images: try d.allImages(ctx.interpreter), vocabulary: vocabulary,
                                              clamp: Float(clamp)) { done in
                progress.update(done: done)
                return !stop.isRequested
            }
        } catch { throw LoupeError(error, at: ctx.span) }
        progress.finish(done: result.scores.count, interrupted: ctx.interrupted)
        try ctx.checkInterruptUnless(!result.scores.isEmpty)
        return try ctx.finished(.object(SteerabilityObject(result, label: label + presetNote, coverage: coverage)),
                                progress: "stopped after \(result.scores.count) of \(units.count) units",
                                kept: "the scores of those \(result.scores.count)")
    })
    let steer = BuiltinType("Steerability", doc: "Steerability scores S of SAE latents or neurons, with each one's top word.", isGlobal: false)
    steer.addProperty(BuiltinProperty("scores", type: "[Double]", doc: "S of every measured unit, in the order measured.") { v in
        .array((v.objectValue as! SteerabilityObject).result.scores.map { .double($0) })
    })
    steer.addProperty(BuiltinProperty("meanScore", type: "Double", doc: "Mean S over the measured units.") { v in
        .double((v.objectValue as! SteerabilityObject).result.meanScore)
    })
    steer.addProperty(BuiltinProperty("fractionSteerable", type: "Double", doc: "Fraction of units with S > 0.10.") { v in
        .double((v.objectValue as! SteerabilityObject).result.fractionSteerable)
    })
    steer.addProperty(BuiltinProperty("steerableInterval", type: "[Double]", doc: "The fraction steerable's 95% Wilson interval "
                                      + "over the units measured, [low, high].") { v in
        let e = (v.objectValue as! SteerabilityObject).result.fractionEstimate
        return .array([.double(e.low), .double(e.high)])
    })
    steer.addProperty(BuiltinProperty("coverage", type: "Int", doc: "Concept coverage: distinct top words among steerable "
                                      + "units, each unit's word picked as `coverage:` said (by default the top word on the first image, the paper's count).") { v in
        .int((v.objectValue as! SteerabilityObject).coverage)
    })
    for count in ConceptCoverage.allCases {
        let name = count == .meanDelta ? "coverageMeanDelta" : "coverageFirstImage"
        steer.addProperty(BuiltinProperty(name, type: "Int", doc: "Concept coverage with each steerable unit's word the "
                                          + count.origin + ".") { v in
            .int((v.objectValue as! SteerabilityObject).result.coverage(count))
        })
    }
    steer.addMethod(BuiltinFunction("top", [Parameter(nil, name: "count", type: "Int", default: .int(20))], returns: "Table",
                                    doc: "The most steerable units with their top word and its Delta.") { ctx in
        .object((ctx.receiver.objectValue as! SteerabilityObject).table(count: max(0, try ctx.int("count"))))
    })
    steer.addMethod(BuiltinFunction("histogram", returns: "Image", doc: "The distribution of S.") { ctx in
        let s = ctx.receiver.objectValue as! SteerabilityObject
        do {
            return .object(ImageObject(try Chart.histogram(s.result.scores, bins: 40, options: ChartOptions(
                title: s.summary, xLabel: "steerability S", yLabel: "units", logY: true, density: figureDensity)), caption: "steerability"))
        } catch { throw LoupeError(error, at: ctx.span) }
    })
    steer.addMethod(BuiltinFunction("compare", [
        Parameter(nil, name: "other", type: "Steerability", doc: "another measurement, e.g. the neuron baseline"),
    ], returns: "Figure", doc: "Side by side: the layer summary (mean S, fraction steerable, concept coverage) of both, "
       + "and their distributions of S on one scale.") { ctx in
        let a = ctx.receiver.objectValue as! SteerabilityObject
        guard let b = ctx.value("other").objectValue as? SteerabilityObject else {
            throw ctx.valueError("other", "give another steerability result, e.g. clip.steerability(neurons: ...)")
        }
        let fa = a.result.fractionEstimate, fb = b.result.fractionEstimate
        let verdict = Comparison(Measured(name: "fraction steerable of " + a.label, estimate: fa, perSeed: [fa.value]),
                                 Measured(name: b.label, estimate: fb, perSeed: [fb.value])).sentence()
        let table = TableObject(title: "Steerability side by side", columns: ["units", "n", "mean S", "steerable", "low", "high",
                                                                              "coverage (image 0, the paper's)", "coverage (mean Δ)", "max S"],
                                rows: [a, b].map { s in
            let f = s.result.fractionEstimate
            return [.string(s.label), .int(s.result.scores.count), .double(s.result.meanScore), .double(f.value), .double(f.low),
                    .double(f.high), .int(s.result.coverage(.firstImage)), .int(s.result.coverage(.meanDelta)),
                    .double(s.result.scores.max() ?? 0)]
        }, notes: "- " + verdict + "\n- Concept coverage counts distinct words and has no interval; the number of steerable units "
                  + "is the fraction times n.")
        let top = max(SteerabilityResult.threshold * 2, [a, b].compactMap { $0.result.scores.max() }.max() ?? 0)
        do {
            let charts = try [a, b].enumerated().map { k, s in
                try Chart.histogram(s.result.scores, bins: 40, range: 0...top, options: ChartOptions(
                    title: s.label, xLabel: "steerability S", yLabel: "units", logY: true, density: figureDensity), colour: Colour.series[k])
            }
            return .object(FigureObject(kind: "Figure", table: table, image: arrange(charts, vertical: false)))
        } catch { throw LoupeError(error, at: ctx.span) }
    })
    r.add(steer)
}
