import Foundation
import LoupeAnalysis
import LoupeDatasets
import LoupeDisplay
import LoupeJSON
import LoupeLanguage
import LoupeSAE
import LoupeTensor

/// How well the units of an SAE (or a layer's neurons) recover the toy
/// world's known attribute values.
public final class GroundTruthObject: HostObject {
    package let recovery: GroundTruthRecovery
    /// "latent" or "neuron".
    let unit: String
    let source: String
    public var typeName: String { "GroundTruth" }

    init(_ recovery: GroundTruthRecovery, unit: String, source: String) {
        self.recovery = recovery; self.unit = unit; self.source = source
    }

    var summary: String {
        let r = recovery
        return "Ground truth of \(unit)s on \(source): units and thresholds chosen on half the scenes, scored on the other "
            + "\(r.scoringImages). Mean F1 of each value's best \(unit) " + NumberText.withInterval(r.meanBestF1, percent: false)
            + "; one-to-one matching: mean F1 " + NumberText.withInterval(r.meanMatchedF1, percent: false) + ", \(r.recovered) of "
            + "\(r.values.count) values recovered at F1 ≥ " + NumberText.fixed(GroundTruthRecovery.recoveredF1, digits: 1)
    }

    var table: TableObject {
        TableObject(title: summary, columns: ["value", "n", "best \(unit)", "precision", "recall", "F1", "low", "high",
                                              "matched \(unit)", "matched F1"],
                    rows: zip(recovery.best, recovery.matched).map { b, m in
            [.string(b.value), .int(b.positives), .int(b.unit), .double(b.precision.value), .double(b.recall.value),
             .double(b.f1.value), .double(b.f1.low), .double(b.f1.high), .int(m.unit), .double(m.f1.value)]
        })
    }

    public func display() -> DisplayBundle {
        var bundle = table.display()
        if case .object(var o)? = bundle.data[LoupeMIME.table] {
            o["mean_best_f1"] = .double(recovery.meanBestF1.value)
            o["mean_matched_f1"] = .double(recovery.meanMatchedF1.value)
            o["recovered"] = .int(recovery.recovered)
            o["values"] = .int(recovery.values.count)
            bundle.data[LoupeMIME.table] = .object(o)
        }
        return bundle
    }
}

/// Each scene's attribute values, as the ground truth scores them.
private func sceneLabels(_ d: DatasetObject, _ ctx: CallContext, key: String) throws -> [[String]] {
    guard let scenes = d.source as? SceneSource else {
        throw ctx.valueError(key, "ground truth is known for toy-world scenes only (Dataset.scenes(...)); \(d.source.description) has none")
    }
    return d.indices.map { MonosemanticitySimilarity.labels(scenes.attributes(at: $0)) }
}

func registerGroundTruth(_ r: Registry) {
    let scenesDoc = "toy-world scenes, at least 20; half choose each value's unit and threshold, the other half score it"
    r.type("SAE").addMethod(BuiltinFunction("groundTruth", [
        Parameter(nil, name: "images", type: "Dataset", doc: scenesDoc),
    ], returns: "GroundTruth", doc: "How well the SAE's latents recover every known attribute value of the scenes (shape = "
       + "star, colour = red, background = sky, a drawn word, ...): for each value its best latent's precision, recall and F1 "
       + "(a latent detects a value when its mean activation over the SAE's tokens passes a threshold), with intervals, and a "
       + "one-to-one (Hungarian) matching of values to distinct latents with its mean F1 and how many values it recovers at "
       + "F1 ≥ 0.8. Units and thresholds are chosen on the even-numbered scenes and scored on the odd ones. Compare with "
       + "`clip.groundTruth(neurons: layer, images:)`.") { ctx in
        let object = ctx.sae()
        let d = try ctx.nonEmptyDataset("images")
        let labels = try sceneLabels(d, ctx, key: "images")
        do {
            let activations = try imageActivations(object, d, at: ctx.span, interpreter: ctx.interpreter)
            let recovery = try GroundTruthRecovery.measure(activations: activations, images: d.count, units: object.sae.dSAE,
                                                           labels: labels, signed: false)
            return .object(GroundTruthObject(recovery, unit: "latent", source: d.source.description))
        } catch { throw LoupeError(error, at: ctx.span) }
    })
    r.type("CLIP").addMethod(BuiltinFunction("groundTruth", [
        Parameter("neurons", type: "Int", doc: "the layer whose residual coordinates to score"),
        Parameter("images", type: "Dataset", doc: scenesDoc),
    ], returns: "GroundTruth", doc: "The neuron baseline of `sae.groundTruth`: each residual coordinate at a layer (its mean "
       + "over the image's tokens) as a detector of each known attribute value, firing above or below a threshold, chosen "
       + "on half the scenes and scored on the other half, with the same one-to-one matching.") { ctx in
        let model = ctx.clip()
        let layer = try ctx.layer("neurons")
        let d = try ctx.nonEmptyDataset("images")
        let labels = try sceneLabels(d, ctx, key: "images")
        do {
            let stream = try model.activations(images: try d.allImages(ctx.interpreter), layer: layer, tokens: .all)
            let recovery = try GroundTruthRecovery.measure(activations: Contrast.imageMeans(stream), images: d.count,
                                                           units: model.config.vision.width, labels: labels, signed: true)
            return .object(GroundTruthObject(recovery, unit: "neuron", source: d.source.description))
        } catch { throw LoupeError(error, at: ctx.span) }
    })

    let truth = BuiltinType("GroundTruth", doc: "How well single units recover the toy world's known attribute values.", isGlobal: false)
    func receiver(_ v: Value) -> GroundTruthObject { v.objectValue as! GroundTruthObject }
    truth.addProperty(BuiltinProperty("meanBestF1", type: "Double", doc: "Mean over values of the best unit's F1 on the scoring half.") { v in
        .double(receiver(v).recovery.meanBestF1.value)
    })
    truth.addProperty(BuiltinProperty("meanMatchedF1", type: "Double", doc: "Mean F1 of the one-to-one matching.") { v in
        .double(receiver(v).recovery.meanMatchedF1.value)
    })
    truth.addProperty(BuiltinProperty("recovered", type: "Int", doc: "Values whose matched unit reaches F1 ≥ 0.8.") { v in
        .int(receiver(v).recovery.recovered)
    })
    truth.addProperty(BuiltinProperty("values", type: "Int", doc: "How many attribute values were scored.") { v in
        .int(receiver(v).recovery.values.count)
    })
    truth.addProperty(BuiltinProperty("table", type: "Table", doc: "The per-value table.") { v in .object(receiver(v).table) })
    truth.addMethod(BuiltinFunction("correlate", [
        Parameter(nil, name: "scores", type: "Monosemanticity", doc: "MS of the same units, e.g. sae.monosemanticity(scenes)"),
    ], returns: "String", doc: "Spearman's rank correlation between each unit's MS and its F1 for the value it detects best, over "
       + "the units MS scores reliably (firing on 10 or more images), with a bootstrap interval: where the truth is known, "
       + "does a higher MS mean a unit that recovers a concept?") { ctx in
        let t = receiver(ctx.receiver)
        guard let ms = ctx.value("scores").objectValue as? MonosemanticityObject else {
            throw ctx.typeError("scores", expected: "Monosemanticity", got: ctx.value("scores"))
        }
        guard ms.scores.count == t.recovery.unitF1.count else {
            throw ctx.valueError("scores", "these scores are of \(ms.scores.count) units, the ground truth of \(t.recovery.unitF1.count)")
        }
        let units = ms.reliable.map(\.latent)
        guard units.count >= 3 else { throw ctx.valueError("scores", "fewer than 3 units fire on 10 or more images; score more images") }
        let rho = RankCorrelation.spearman(units.map { ms.scores[$0]! }, units.map { t.recovery.unitF1[$0] })
        return .string("Spearman correlation of MS with best-value F1 over \(units.count) \(t.unit)s: "
                       + NumberText.withInterval(rho, percent: false))
    })
    r.add(truth)
}
