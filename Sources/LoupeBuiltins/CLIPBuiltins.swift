import Foundation
import LoupeCLIP
import LoupeDisplay
import LoupeImage
import LoupeJSON
import LoupeLanguage
import LoupeSAE
import LoupeSafetensors
import LoupeTensor

/// A loaded vision model in the session: CLIP, DINOv2 or SigLIP. The
/// language calls its type CLIP, the name it had first; what needs a
/// text tower refuses a DINOv2 with one error.
public final class CLIPObject: HostObject {
    package let model: CLIPModel
    public var typeName: String { "CLIP" }
    init(_ model: CLIPModel) { self.model = model }

    public func display() -> DisplayBundle {
        let fields: [(String, Value)] = model.summaryJSON.objectValue!.keys.sorted().map { key in
            let v = model.summaryJSON[key]!
            return (key, v.intValue.map(Value.int) ?? v.doubleValue.map(Value.double) ?? .string(v.stringValue ?? v.serialized()))
        }
        return DisplayBundle.summary(title: model.config.family.rawValue, text: model.summary, fields: fields, json: model.summaryJSON)
    }
}

/// Embeddings, one row per image or text.
public final class EmbeddingsObject: HostObject {
    package let tensor: Tensor
    public let source: String
    public var typeName: String { "Embeddings" }
    init(_ tensor: Tensor, source: String) { self.tensor = tensor; self.source = source }
    public func display() -> DisplayBundle {
        DisplayBundle.summary(title: "Embeddings", text: "Embeddings [\(tensor.shape[0]) × \(tensor.shape[1])] of \(source)",
                              fields: [("rows", .int(tensor.shape[0])), ("dimensions", .int(tensor.shape[1])), ("of", .string(source))],
                              json: ["shape": .array(tensor.shape.map(JSON.int)), "source": .string(source)])
    }
}

extension CallContext {
    /// The images of an `Image` or `Dataset` argument.
    func images(_ key: String) throws -> (images: [RGBImage], captions: [String]) {
        switch value(key) {
        case .object(let o as ImageObject): return ([o.image], [o.caption ?? "image"])
        case .object(let d as DatasetObject):
            guard d.count > 0 else { throw valueError(key, "the dataset is empty") }
            return (try d.allImages(interpreter), (0..<d.count).map { d.caption($0) })
        case let v: throw typeError(key, expected: "an Image or a Dataset", got: v)
        }
    }

    /// An Image-or-Dataset argument as its size and a way to make image `i`
    /// when it is needed, from any thread: photos are decoded batch by
    /// batch while the model runs, never all at once.
    func lazyImages(_ key: String) throws -> (count: Int, image: (Int) throws -> RGBImage) {
        switch value(key) {
        case .object(let o as ImageObject): return (1, { _ in o.image })
        case .object(let d as DatasetObject):
            guard d.count > 0 else { throw valueError(key, "the dataset is empty") }
            return (d.count, { try d.image($0) })
        case let v: throw typeError(key, expected: "an Image or a Dataset", got: v)
        }
    }

    /// How many images an Image-or-Dataset argument holds, without making them.
    func imageCount(_ key: String) -> Int {
        if case .object(let d as DatasetObject) = value(key) { return d.count }
        return 1
    }

    func clip() -> CLIPModel { (receiver.objectValue as! CLIPObject).model }

    /// The Int argument `key`, checked to name one of the receiver CLIP's image-tower layers.
    func layer(_ key: String) throws -> Int {
        let layers = clip().config.vision.layers
        let layer = try int(key)
        guard (0..<layers).contains(layer) else {
            throw valueError(key, "layer \(layer) does not exist; this model has layers 0...\(layers - 1)")
        }
        return layer
    }
}

/// `CLIP.load` and `Model.load`: one loader for every supported model.
func loadModel(doc: String) -> BuiltinFunction {
    BuiltinFunction("load", [
        Parameter(nil, name: "path", type: "String", default: .null,
                  doc: "an open_clip .safetensors file, or a Hugging Face CLIP, DINOv2 or SigLIP folder; omit for the embedded toy CLIP"),
    ], returns: "CLIP", doc: doc) { ctx in
        guard ctx.has("path") else {
            let model = try ToyModel.load(at: ctx.span)
            if let file = try? CLIPModel.toyModelFile() { ctx.noteLoad(file) }
            return .object(CLIPObject(model))
        }
        let path = try ctx.string("path")
        ctx.noteLoad(path)
        do { return .object(CLIPObject(try CLIPModel(path: path))) } catch { throw LoupeError(.io, "\(error)", at: ctx.spanOf("path")) }
    }
}

func registerCLIP(_ r: Registry) {
    let clip = BuiltinType("CLIP", doc: "A CLIP model: image and text towers, zero-shot classification, embeddings and "
                           + "the image tower's activations at every layer.")
    clip.addStatic(loadModel(doc: "Loads a CLIP checkpoint, memory-mapped. The architecture is read from the tensors and the config. "
                             + "A DINOv2 or SigLIP folder loads too, as with Model.load."))
    let model = BuiltinType("Model", doc: "Loads any supported vision model: CLIP (open_clip or Hugging Face), DINOv2 (with or "
                            + "without registers) or SigLIP. What is loaded is a CLIP-typed value with the same methods; those "
                            + "that need a text tower (classify, embed(text:), steerability, clip.steer) refuse a DINOv2.")
    model.addStatic(loadModel(doc: "Loads a CLIP, DINOv2 or SigLIP checkpoint, memory-mapped; which one is read from config.json "
                              + "(model_type) or the tensor names."))
    r.add(model)
    clip.addProperty(BuiltinProperty("layers", type: "Int", doc: "Number of image-tower layers.") { v in
        .int((v.objectValue as! CLIPObject).model.config.vision.layers)
    })
    clip.addProperty(BuiltinProperty("width", type: "Int", doc: "Width of the image tower's residual stream.") { v in
        .int((v.objectValue as! CLIPObject).model.config.vision.width)
    })
    clip.addProperty(BuiltinProperty("embedDim", type: "Int",
                                     doc: "Size of the projected image embedding (the width at site: .embedding).") { v in
        .int((v.objectValue as! CLIPObject).model.config.embedDim)
    })
    clip.addMethod(BuiltinFunction("classify", [
        Parameter(nil, name: "images", type: "Image or Dataset"),
        Parameter("labels", type: "[String]", doc: "the candidate captions, e.g. [\"a red star\", \"a blue circle\"]"),
    ], returns: "Table", doc: "Zero-shot classification: for one image, the probability of each label with bars; "
       + "for a dataset, each image's most likely label.") { ctx in
        let labels = try ctx.textsToEmbed("labels", at: 1000, what: "labels")
        guard !labels.isEmpty else { throw ctx.valueError("labels", "give at least one label") }
        let (images, captions) = try ctx.images("images")
        let probabilities: Tensor
        do { probabilities = try ctx.clip().classify(images: images, labels: labels) } catch { throw LoupeError(error, at: ctx.span) }
        let p = probabilities.toArray()
        if images.count == 1 {
            let order = labels.indices.sorted { p[$0] > p[$1] }
            return .object(TableObject(title: "Zero-shot probabilities", columns: ["label", "probability"],
                                       rows: order.map { [.string(labels[$0]), .double(Double(p[$0]))] }, barColumn: 1))
        }
        let rows: [[Value]] = images.indices.map { i in
            let row = p[(i * labels.count)..<((i + 1) * labels.count)]
            let best = row.indices.max { row[$0] < row[$1] }!
            return [.int(i), .string(captions[i]), .string(labels[best - i * labels.count]), .double(Double(row[best]))]
        }
        return .object(TableObject(title: "Zero-shot predictions", columns: ["image", "caption", "label", "probability"],
                                   rows: rows, barColumn: 3))
    })
    clip.addMethod(BuiltinFunction("embed", [
        Parameter(nil, name: "images", type: "Image or Dataset", default: .null),
        Parameter("text", type: "[String]", default: .null, doc: "texts to embed instead of images"),
    ], returns: "Embeddings", doc: "L2-normalised embeddings of images, or of texts with `text:`.") { ctx in
        do {
            if ctx.has("text") {
                let texts = try ctx.strings("text")
                return .object(EmbeddingsObject(try ctx.clip().embed(texts: texts), source: "\(texts.count) texts"))
            }
            guard ctx.has("images") else { throw LoupeError(.argument, "embed needs images or text: [...]", at: ctx.span) }
            let (images, _) = try ctx.images("images")
            return .object(EmbeddingsObject(ctx.clip().embed(images: images), source: "\(images.count) images"))
        } catch { throw LoupeError(error, at: ctx.span) }
    })
    r.add(clip)
    r.add(BuiltinType("Embeddings", doc: "L2-normalised CLIP embeddings, one row per image or text.", isGlobal: false))
}

/// The model that ships with Loupe.
enum ToyModel {
    static func load(at span: SourceSpan) throws -> CLIPModel {
        do { return try CLIPModel.loadToy() } catch { throw LoupeError(.io, "\(error)", at: span) }
    }
}
