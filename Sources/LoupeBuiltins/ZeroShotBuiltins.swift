import LoupeAnalysis
import LoupeCLIP
import LoupeDatasets
import LoupeDisplay
import LoupeImage
import LoupeJSON
import LoupeLanguage

/// Zero-shot accuracy of a model on one attribute of a dataset, per class
/// and overall.
public final class ZeroShotObject: HostObject {
    public let attribute: String
    public let classes: [String]
    public let prompts: [String]
    /// Images of each class, and how many of them were classified correctly.
    public let counts: [Int]
    public let correct: [Int]
    public let source: String
    public var typeName: String { "ZeroShot" }

    init(attribute: String, classes: [String], prompts: [String], counts: [Int], correct: [Int], source: String) {
        self.attribute = attribute; self.classes = classes; self.prompts = prompts
        self.counts = counts; self.correct = correct; self.source = source
    }

    public var total: Int { counts.reduce(0, +) }
    public var accuracy: Double { total == 0 ? 0 : Double(correct.reduce(0, +)) / Double(total) }
    /// Overall accuracy with Wilson's 95% interval over the images.
    package var interval: Estimate { Intervals.wilson(successes: correct.reduce(0, +), of: total) }

    var table: TableObject {
        func cells(_ e: Estimate) -> [Value] { [.int(e.n), .double(e.value), .double(e.low), .double(e.high)] }
        var rows: [[Value]] = classes.indices.filter { counts[$0] > 0 }.map { c in
            [.string(classes[c]), .string(prompts[c])] + cells(Intervals.wilson(successes: correct[c], of: counts[c]))
        }
        rows.append(["overall", ""] + cells(interval))
        return TableObject(title: "Zero-shot \(attribute) accuracy on \(total) images of \(source), with 95% Wilson intervals",
                           columns: ["class", "prompt", "n", "accuracy", "low", "high"], rows: rows, barColumn: 3)
    }

    public func display() -> DisplayBundle {
        var bundle = table.display()
        if case .object(var o)? = bundle.data[LoupeMIME.table] {
            o["attribute"] = .string(attribute)
            o["accuracy"] = .double(accuracy)
            o["low"] = .double(interval.low)
            o["high"] = .double(interval.high)
            o["images"] = .int(total)
            bundle.data[LoupeMIME.table] = .object(o)
        }
        return bundle
    }
}

/// The prompts zero-shot classification uses when none are given: the toy
/// model's templates for toy-world scenes, "a photo of a {class}" otherwise.
func defaultPrompts(_ d: DatasetObject, attribute: String, classes: [String]) -> [String] {
    (d.source is SceneSource ? CLIPModel.toyPrompts(attribute: attribute, classes: classes) : nil)
        ?? classes.map { "a photo of a \($0)" }
}

/// Each image's `attribute` value as its index among `classes`.
func attributeTruth(_ d: DatasetObject, attribute: String, classes: [String], _ ctx: CallContext) throws -> [Int] {
    try (0..<d.count).map { i in
        let value = try d.source.value(d.indices[i], of: attribute)
        guard let t = classes.firstIndex(of: value) else {
            throw ctx.valueError("attribute", "image \(i) has \(attribute) '\(value)', which is not among " + classes.joined(separator: ", "))
        }
        return t
    }
}

func registerZeroShot(_ r: Registry) {
    r.type("CLIP").addMethod(BuiltinFunction("zeroShot", [
        Parameter(nil, name: "images", type: "Dataset", doc: "labelled images"),
        Parameter("attribute", type: "String", default: .string("shape"),
                  doc: "what to classify: shape, colour or background for scenes; bird or place for Waterbirds; a CelebA attribute; label for folders"),
        Parameter("prompts", type: "[String]", default: .null,
                  doc: "one prompt per class, in the order of the attribute's values (default: the toy model's templates for scenes, "
                  + "\"a photo of a {class}\" otherwise)"),
    ], returns: "ZeroShot", doc: "Zero-shot accuracy on an attribute: each image goes to the class whose prompt it matches best, "
       + "shown per class and overall. The images are embedded now, so inside `clip.with(sae, ablate: ...) { }` the ablation "
       + "is in place: `clip.zeroShot(scenes.typographic(\"star\"))`.") { ctx in
        let model = ctx.clip()
        let d = try ctx.object("images", as: DatasetObject.self, named: "a Dataset")
        guard d.count > 0 else { throw ctx.valueError("images", "the dataset is empty") }
        let attribute = try ctx.string("attribute")
        guard let classes = d.source.validValues(of: attribute), classes.count >= 2 else {
            let hint = nearestName(to: attribute, in: d.source.attributeNames).map { " (did you mean '\($0)'?)" } ?? ""
            throw ctx.valueError("attribute", "'\(attribute)' has no fixed classes to classify in these images\(hint); "
                                 + "attributes are " + d.source.attributeNames.joined(separator: ", "))
        }
        let prompts: [String]
        if ctx.has("prompts") {
            prompts = try ctx.textsToEmbed("prompts", at: 1000, what: "prompts")
            guard prompts.count == classes.count else {
                throw ctx.valueError("prompts", "give one prompt per class of \(attribute), in this order: " + classes.joined(separator: ", "))
            }
        } else if classes == ["no", "yes"] {
            // "a photo of a yes" would be meaningless; yes/no attributes need prompts that say what they mean.
            throw ctx.valueError("attribute", "'\(attribute)' is yes or no; give prompts: for both, in the order no, yes, "
                                 + "e.g. prompts: [\"a photo of a person\", \"a photo of a person with \(attribute.lowercased().replacingOccurrences(of: "_", with: " "))\"]")
        } else {
            prompts = defaultPrompts(d, attribute: attribute, classes: classes)
        }
        let truth = try attributeTruth(d, attribute: attribute, classes: classes, ctx)
        let probabilities: [Float]
        do {
            probabilities = try model.classify(images: try d.allImages(ctx.interpreter), labels: prompts).toArray()
        } catch { throw LoupeError(error, at: ctx.span) }
        var counts = [Int](repeating: 0, count: classes.count), correct = counts
        for i in 0..<d.count {
            let row = probabilities[(i * classes.count)..<((i + 1) * classes.count)]
            let best = row.indices.max { row[$0] < row[$1] }! - i * classes.count
            counts[truth[i]] += 1
            if best == truth[i] { correct[truth[i]] += 1 }
        }
        return .object(ZeroShotObject(attribute: attribute, classes: classes, prompts: prompts, counts: counts, correct: correct,
                                      source: d.source.description))
    })

    let zeroShot = BuiltinType("ZeroShot", doc: "Zero-shot accuracy on one attribute of a dataset, per class and overall.", isGlobal: false)
    zeroShot.addProperty(BuiltinProperty("accuracy", type: "Double", doc: "The fraction of all images classified correctly.") { v in
        .double((v.objectValue as! ZeroShotObject).accuracy)
    })
    zeroShot.addProperty(BuiltinProperty("low", type: "Double", doc: "The lower end of the accuracy's 95% Wilson interval.") { v in
        .double((v.objectValue as! ZeroShotObject).interval.low)
    })
    zeroShot.addProperty(BuiltinProperty("high", type: "Double", doc: "The upper end of the accuracy's 95% Wilson interval.") { v in
        .double((v.objectValue as! ZeroShotObject).interval.high)
    })
    zeroShot.addProperty(BuiltinProperty("n", type: "Int", doc: "How many images the accuracy is over.") { v in
        .int((v.objectValue as! ZeroShotObject).total)
    })
    zeroShot.addProperty(BuiltinProperty("perClass", type: "[String: Double]", doc: "Accuracy per class, for classes with images.") { v in
        let z = v.objectValue as! ZeroShotObject
        return .dictionary(z.classes.indices.filter { z.counts[$0] > 0 }.map {
            (key: .string(z.classes[$0]), value: .double(Double(z.correct[$0]) / Double(z.counts[$0])))
        })
    })
    zeroShot.addProperty(BuiltinProperty("prompts", type: "[String]", doc: "The prompt of each class, in the attribute's order.") { v in
        .array((v.objectValue as! ZeroShotObject).prompts.map { .string($0) })
    })
    r.add(zeroShot)
}
