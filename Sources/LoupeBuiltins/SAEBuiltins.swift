import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeDisplay
import LoupeImage
import LoupeJSON
import LoupeLanguage
import LoupeRender
import LoupeSAE
import LoupeSites
import LoupeTensor

/// A sparse autoencoder in the session, with the CLIP model it reads, when known.
public final class SAEObject: HostObject {
    package let sae: SparseAutoencoder
    /// The model whose activations this SAE was trained on (for l0Map and steering).
    package var clip: CLIPModel?
    /// How it was trained, when it was trained in this session.
    package let training: TrainingRecord?
    /// Latent labels found in this session (`sae.labels`), shown by sae.feature and sae.explore.
    package var labels: [Int: LatentLabel] = [:]
    public var typeName: String { "SAE" }

    init(_ sae: SparseAutoencoder, clip: CLIPModel?, training: TrainingRecord? = nil) {
        self.sae = sae
        self.clip = clip
        self.training = training
    }

    public func display() -> DisplayBundle {
        let m = sae.metadata
        var fields: [(String, Value)] = [("architecture", .string(sae.architecture.description)), ("d_in", .int(sae.dIn)),
                                          ("d_sae", .int(sae.dSAE))]
        if let model = m.model { fields.append(("model", .string(model))) }
        if let layer = m.layer { fields.append(("layer", .int(layer))) }
        if let site = m.site { fields.append(("site", .string(site))) }
        if let tokens = m.tokens { fields.append(("tokens", .string(tokens))) }
        if let training { fields.append(("training", .string(training.description))) }
        return DisplayBundle.summary(title: "SAE", text: sae.summary + (training.map { "\ntrained: " + $0.description } ?? ""), fields: fields,
                                     json: .object(Dictionary(uniqueKeysWithValues: fields.map { ($0.0, $0.1.json ?? .null) })))
    }
}

/// What a reader of a trained SAE needs to judge its dead latents: how
/// long it trained, and whether AuxK ever had dead latents to revive.
package struct TrainingRecord: Sendable {
    package let stepsDone: Int
    package let steps: Int
    package let seed: UInt64
    package let auxKActiveSteps: Int
    package let deadWindowSteps: Int
    package let deadFraction: Double
    package let usesAuxK: Bool
    package let recipe: TrainingRecipe
    package let history: TrainingHistory

    init(_ r: SAETrainingResult, steps: Int) {
        stepsDone = r.stepsDone; self.steps = steps; seed = r.seed; auxKActiveSteps = r.auxKActiveSteps
        deadWindowSteps = r.deadWindowSteps; deadFraction = r.deadFraction; usesAuxK = r.sae.architecture.usesAuxK
        recipe = r.recipe
        history = r.history
    }

    var description: String {
        let aux: String
        if !usesAuxK { aux = "no AuxK for this architecture" }
        else if auxKActiveSteps == 0 && stepsDone <= deadWindowSteps {
            aux = "AuxK never active: the run is not longer than the dead-latent window of \(deadWindowSteps) steps (set deadWindow:)"
        } else { aux = "AuxK active in \(auxKActiveSteps) steps (dead-latent window \(deadWindowSteps) steps)" }
        let trainer = recipe == .dictionaryLearning ? "dictionary_learning's rules, " : ""
        let end = history.ending.isEmpty ? "" : "; " + history.ending
        return "\(trainer)\(stepsDone) of \(steps) steps, seed \(seed); \(aux); \(NumberText.percent(deadFraction)) of latents dead at the end (silent for longer than the window)\(end)"
    }
}

/// Where an SAE sits in a model: what every analysis needs to run it again.
struct SAEPlacement {
    let clip: CLIPModel
    let layer: Int
    let site: ActivationSite
    let tokens: TokenSelection
}

/// Why an SAE cannot be run inside a model.
enum SAEPlacementProblem: String {
    case unknownCLIP = "this SAE does not know its CLIP; load it with SAE.load(path, clip: clip)"
    case unknownLayer = "this SAE's metadata has no layer, so it cannot be placed in a model"

    func error(at span: SourceSpan) -> LoupeError { LoupeError(.value, rawValue, at: span) }
}

extension SAEObject {
    /// The SAE in the CLIP it was trained on or loaded with, at its own
    /// layer, site and tokens (typed once, when it was loaded or trained).
    func placement(at span: SourceSpan) throws -> SAEPlacement {
        guard let clip else { throw SAEPlacementProblem.unknownCLIP.error(at: span) }
        return try placement(in: clip, at: span)
    }

    /// The SAE in `model` (a method's receiver) at its own layer, site and
    /// tokens, checked to read activations as wide as the model's there.
    func placement(in model: CLIPModel, at span: SourceSpan) throws -> SAEPlacement {
        let hook = sae.hookPoint, site = hook.site
        // The embedding has one place, after every block, whatever a file recorded as its layer.
        guard let layer = site.isInBlock ? hook.layer : model.embeddingLayer else { throw SAEPlacementProblem.unknownLayer.error(at: span) }
        do { try sae.checkInputWidth(model.siteWidth(site), for: "this CLIP's activations at \(site.rawValue)") } catch {
            throw LoupeError(error, at: span)
        }
        return SAEPlacement(clip: model, layer: layer, site: site, tokens: hook.tokens)
    }
}

extension ArchitectureArgument {
    init(_ value: Value) {
        switch value {
        case .int(let i): self = .integer(i)
        case .double(let d): self = .real(d)
        case .array(let items): self = .list(items.map(ArchitectureArgument.init))
        default: self = .other(typeName: value.typeName)
        }
    }
}

extension CallContext {
    func sae() -> SAEObject { receiver.objectValue as! SAEObject }

    /// The Int argument `key`, checked to name one of the receiver SAE's latents.
    func latent(_ key: String) throws -> Int {
        let latent = try int(key), width = sae().sae.dSAE
        guard (0..<width).contains(latent) else {
            throw valueError(key, "latent \(latent) does not exist: this SAE has latents 0..<\(width)")
        }
        return latent
    }

    /// The [SAE] argument `key`, checked to hold at least one SAE.
    func saes(_ key: String) throws -> [SAEObject] {
        guard case .array(let items) = value(key), !items.isEmpty else {
            throw typeError(key, expected: "a non-empty [SAE]", got: value(key))
        }
        return try items.map { v in
            guard case .object(let o as SAEObject) = v else { throw typeError(key, expected: "[SAE]", got: v) }
            return o
        }
    }

    /// The Dataset argument `key`, checked to hold at least one image.
    func nonEmptyDataset(_ key: String) throws -> DatasetObject {
        let d = try object(key, as: DatasetObject.self, named: "a Dataset")
        guard d.count > 0 else { throw valueError(key, "the dataset is empty") }
        return d
    }

    /// `.topK(k: 32)` or another kind of the architecture registry, checked
    /// by the architecture itself with messages that show the fix.
    func architecture(_ key: String) throws -> any SAEArchitecture {
        let (name, args) = try option(key)
        return try architecture(named: name, arguments: args, key: key)
    }

    /// The registry's architecture `name` with `args`, errors pointing at `key`.
    func architecture(named name: String, arguments args: [(label: String?, value: Value)], key: String) throws -> any SAEArchitecture {
        var labelled: [(label: String, value: ArchitectureArgument)] = []
        for arg in args {
            guard let label = arg.label else {
                let example = SAEArchitectures.kinds.first { $0.name == name }?.example ?? "topK(k: 32)"
                throw valueError(key, "arguments of .\(name) need labels, e.g. .\(example)")
            }
            labelled.append((label, ArchitectureArgument(arg.value)))
        }
        do { return try SAEArchitectures.fromKind(name, labelled) } catch { throw valueError(key, "\(error)") }
    }
}

func registerSAE(_ r: Registry) {
    let sae = BuiltinType("SAE", doc: "A sparse autoencoder over one layer's activations: z = act(W_enc (x - b_dec) + b_enc), "
                          + "x_hat = W_dec z + b_dec. Saved and loaded in SAELens's layout.")
    sae.addStatic(BuiltinFunction("load", [
        Parameter(nil, name: "path", type: "String", doc: "a folder with sae_weights.safetensors and cfg.json (SAELens), or sparsify's layout"),
        Parameter("clip", type: "CLIP", default: .null, doc: "the model it reads, for l0Map and steering"),
    ], returns: "SAE", doc: "Loads an SAE saved by Loupe, SAELens or sparsify.") { ctx in
        let model = ctx.has("clip") ? try ctx.object("clip", as: CLIPObject.self, named: "a CLIP").model : nil
        do {
            let loaded = try SparseAutoencoder.load(from: try ctx.string("path"))
            ctx.noteLoad(try ctx.string("path"))
            if let model {
                let site = loaded.hookPoint.site
                try loaded.checkInputWidth(model.siteWidth(site), for: "this CLIP's activations at \(site.rawValue)")
            }
            return .object(SAEObject(loaded, clip: model))
        } catch { throw LoupeError(error, at: ctx.spanOf("path")) }
    })
    sae.addMethod(BuiltinFunction("save", [Parameter(nil, name: "path", type: "String", doc: "a folder, created if missing")],
                                  doc: "Saves in SAELens's layout (sae_weights.safetensors + cfg.json), atomically.") { ctx in
        do { try ctx.sae().sae.save(to: try ctx.string("path")) } catch { throw LoupeError(error, at: ctx.spanOf("path")) }
        return .void
    })
    sae.addMethod(BuiltinFunction("metrics", [Parameter(nil, name: "activations", type: "Activations")], returns: "Table",
                                  doc: "MSE, explained variance, L0, dead and dense fractions and reconstruction cosine similarity.") { ctx in
        let acts = try ctx.activations("activations")
        let m: SAEMetrics
        do { m = try ctx.sae().sae.metrics(try acts.source()) } catch { throw LoupeError(error, at: ctx.span) }
        let rows: [[Value]] = [
            ["tokens", .int(m.tokens)], ["mse", .double(m.mse)], ["explained variance", .double(m.explainedVariance)],
            ["L0", .double(m.l0)], ["dead fraction", .double(m.deadFraction)], ["dense fraction", .double(m.denseFraction)],
            ["cosine similarity", .double(m.cosineSimilarity)],
        ]
        return .object(TableObject(title: "SAE metrics", columns: ["metric", "value"], rows: rows))
    })
    sae.addMethod(BuiltinFunction("density", [Parameter(nil, name: "activations", type: "Activations")], returns: "Image",
                                  doc: "Histogram of log10 feature density (the fraction of tokens each latent fires on), "
                                  + "with the dead and dense counts in the title.") { ctx in
        let acts = try ctx.activations("activations")
        let density: [Double]
        do { density = try ctx.sae().sae.density(try acts.source()) } catch { throw LoupeError(error, at: ctx.span) }
        let dead = density.filter { $0 == 0 }.count, dense = density.filter { $0 > SAEMetrics.denseThreshold }.count
        let logs = density.filter { $0 > 0 }.map { log10($0) }
        guard !logs.isEmpty else { throw LoupeError(.value, "every latent is dead on these activations", at: ctx.span) }
        let options = ChartOptions(title: "Feature density: \(dead) dead, \(dense) dense of \(density.count)",
                                   xLabel: "log10 fraction of tokens", yLabel: "latents", density: figureDensity)
        do { return .object(ImageObject(try Chart.histogram(logs, bins: 40, options: options), caption: "feature density")) }
        catch { throw LoupeError(error, at: ctx.span) }
    })
    sae.addMethod(BuiltinFunction("l0Map", [Parameter(nil, name: "image", type: "Image")], returns: "Image",
                                  doc: "How many latents fire on each patch, as a heatmap over the image.") { ctx in
        let object = ctx.sae()
        let place = try object.placement(at: ctx.span)
        let clip = place.clip
        let image = try ctx.object("image", as: ImageObject.self, named: "an Image")
        do {
            let acts = try clip.activations(images: [image.image], layer: place.layer, site: place.site, tokens: .spatial)
            let tokens = acts.shape[1]
            guard let grid = clip.config.patchGrid(patches: tokens) else {
                throw LoupeError(.value, "\(tokens) spatial tokens are not this model's patches", at: ctx.span)
            }
            let codes = try object.sae.encode(acts.toArray(), width: acts.shape[2])
            let l0 = (0..<tokens).map { Double(codes.row($0).count) }
            let cropped = clip.preprocessor.croppedImage(DecodedImage(image.image))
            let map = try Heatmap.overlay(image: cropped, values: l0, rows: grid, columns: grid, colormap: .magma,
                                          title: "L0 per patch (mean \(String(format: "%.1f", l0.reduce(0, +) / Double(tokens))))",
                                          label: "active latents", density: figureDensity)
            return .object(ImageObject(map, caption: "L0 map"))
        } catch { throw LoupeError(error, at: ctx.span) }
    })
    sae.addMethod(BuiltinFunction("zeroShot", [
        Parameter(nil, name: "images", type: "Dataset", doc: "labelled images: toy-world scenes, or a folder of class sub-folders"),
        Parameter("attribute", type: "String", default: .string("shape"),
                  doc: "what to classify: shape, colour or background for scenes; label for folders"),
    ], returns: "Table", doc: "The model's zero-shot accuracy with this SAE spliced in at its layer (its reconstruction "
       + "replacing the residual stream) against without it, and the fraction recovered.") { ctx in
        let object = ctx.sae()
        let place = try object.placement(at: ctx.span)
        let d = try ctx.object("images", as: DatasetObject.self, named: "a Dataset")
        let attribute = try ctx.string("attribute")
        guard let classes = d.source.validValues(of: attribute), !classes.isEmpty else {
            throw ctx.valueError("attribute", "'\(attribute)' has no fixed classes to classify; try shape, colour or background")
        }
        let prompts = defaultPrompts(d, attribute: attribute, classes: classes)
        let truth = try attributeTruth(d, attribute: attribute, classes: classes, ctx)
        let result: SpliceAccuracy
        do {
            result = try Splice.accuracy(place.clip, sae: object.sae, layer: place.layer, site: place.site, tokens: place.tokens,
                                         images: try d.allImages(ctx.interpreter), truth: truth, prompts: prompts)
        } catch { throw LoupeError(error, at: ctx.span) }
        return .object(TableObject(title: "Zero-shot \(attribute) accuracy over \(d.count) images, SAE at layer \(place.layer)",
                                   columns: ["measure", "value"],
                                   rows: [["without SAE", .double(result.clean)], ["with SAE spliced in", .double(result.spliced)],
                                          ["recovered fraction", .double(result.recovered)]]))
    })
    r.add(sae)

    r.type("CLIP").addMethod(BuiltinFunction("with", [
        Parameter(nil, name: "sae", type: "SAE", default: .null, doc: "the SAE whose latents to change, at its own layer"),
        Parameter("neurons", type: "Int", default: .null, doc: "instead of an SAE: a layer whose residual coordinates `ablate:` zeroes"),
        Parameter("clamp", type: "[Int: Double]", default: .null, doc: "latent → value on every token, e.g. [17: 150]"),
        Parameter("ablate", type: "[Int]", default: .null, doc: "latents (or neurons) set to zero"),
        Parameter(nil, name: "body", type: "Closure () -> Any", doc: "what to run with the change in place"),
    ], returns: "Any", doc: "Runs the closure with SAE latents clamped or ablated inside every forward pass of this model. "
       + "The SAE's error is added back, so only those latents change: `clip.with(sae, clamp: [17: 150]) { clip.classify(img, labels: words) }`. "
       + "With `neurons: layer` instead of an SAE, `ablate:` zeroes those residual coordinates on every token.") { ctx in
        let model = ctx.clip()
        if !ctx.has("sae") {
            guard ctx.has("neurons") else {
                throw LoupeError(.argument, "give an SAE (clip.with(sae, ablate: [3])) or a layer of neurons (clip.with(neurons: 4, ablate: [3]))", at: ctx.span)
            }
            guard !ctx.has("clamp") else { throw ctx.valueError("clamp", "neurons can only be ablated here; clamp SAE latents instead") }
            let layer = try ctx.layer("neurons")
            let hooks: HookSet
            do {
                hooks = try Intervention.zeroing(neurons: try unitList(ctx, "ablate"), layer: layer, site: .residPost, tokens: .all,
                                                 width: model.config.vision.width)
            } catch let error as LoupeError { throw error } catch { throw LoupeError(.value, "\(error)", at: ctx.spanOf("ablate")) }
            return try model.withHooks(hooks) { try ctx.call("body", []) }
        }
        let object = try ctx.object("sae", as: SAEObject.self, named: "an SAE")
        let place = try object.placement(in: model, at: ctx.spanOf("sae"))
        var clamp: [Int: Float] = [:]
        if ctx.has("clamp") {
            guard case .dictionary(let entries) = ctx.value("clamp") else {
                throw ctx.typeError("clamp", expected: "a dictionary of latent: value, e.g. [17: 150]", got: ctx.value("clamp"))
            }
            for e in entries {
                guard case .int(let latent) = e.key, let value = e.value.asDouble else {
                    throw ctx.valueError("clamp", "clamp maps latent numbers to values, e.g. [17: 150]; got \(e.key.repr): \(e.value.repr)")
                }
                guard value.isFinite, abs(value) <= CheckedNumber.clampLimit else {
                    throw ctx.valueError("clamp", "a clamp must be a finite number of at most \(Int(CheckedNumber.clampLimit)) in size; "
                                         + "latent \(latent) is clamped to " + NumberText.fixed(value, digits: 2))
                }
                clamp[latent] = Float(value)
            }
        }
        let ablate = ctx.has("ablate") ? try unitList(ctx, "ablate") : []
        let hooks: HookSet
        do {
            hooks = try Intervention.hooks(object.sae, layer: place.layer, site: place.site, tokens: place.tokens,
                                           clamp: clamp, ablate: ablate)
        } catch { throw LoupeError(.value, "\(error)", at: ctx.spanOf(ctx.has("clamp") ? "clamp" : "ablate")) }
        return try model.withHooks(hooks) { try ctx.call("body", []) }
    })
}

/// An argument that lists latents or neurons by number.
private func unitList(_ ctx: CallContext, _ key: String) throws -> [Int] {
    guard case .array(let items) = ctx.value(key) else { throw ctx.typeError(key, expected: "[Int]", got: ctx.value(key)) }
    return try items.map { v in
        guard case .int(let i) = v else { throw ctx.typeError(key, expected: "[Int]", got: v) }
        return i
    }
}
