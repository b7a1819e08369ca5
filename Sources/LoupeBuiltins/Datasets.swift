import Foundation
import LoupeDatasets
import LoupeDisplay
import LoupeImage
import LoupeLanguage
import LoupeRender
import LoupeToyWorld

/// A dataset value: a source and the indices of it this dataset holds.
public final class DatasetObject: HostObject, SequenceObject {
    package let source: ImageSource
    public let indices: [Int]
    public var typeName: String { "Dataset" }

    init(source: ImageSource, indices: [Int]) {
        self.source = source
        self.indices = indices
    }

    public var count: Int { indices.count }

    package func image(_ i: Int) throws -> RGBImage { try source.image(at: indices[i]) }
    public func caption(_ i: Int) -> String { source.caption(at: indices[i]) }

    public func item(_ i: Int) throws -> ImageObject { ImageObject(try image(i), caption: caption(i)) }

    /// Every image, drawn or decoded now. Thousands take seconds, so past
    /// half a second a progress display appears, and Stop is answered between
    /// images (scenes already drawn stay cached for the next command).
    package func allImages(_ interpreter: Interpreter) throws -> [RGBImage] {
        var images: [RGBImage] = []
        let started = Date()
        var progress: ProgressDisplay?
        do {
            for i in 0..<count {
                try interpreter.interrupt.check()
                images.append(try image(i))
                if i == 0 {
                    // The first image tells how much all of them will hold.
                    try MemoryBudget.check(count: count, of: images[0].pixels.count, for: "\(count) decoded images")
                    images.reserveCapacity(count)
                }
                if progress == nil, Date().timeIntervalSince(started) > 0.5 {
                    progress = ProgressDisplay(output: interpreter.output, title: "Preparing \(count) images", total: count)
                }
                progress?.update(done: i + 1)
            }
        } catch {
            progress?.finish(done: images.count, interrupted: interpreter.interrupt.isRequested)
            throw error
        }
        progress?.finish(done: count)
        return images
    }

    public func elements() throws -> [Value] { try (0..<count).map { .object(try item($0)) } }

    /// Up to 16 images as a captioned grid.
    public func display() -> DisplayBundle {
        let text = "Dataset: \(count) image\(count == 1 ? "" : "s") from \(source.description)"
        guard count > 0 else { return DisplayBundle(text: text) }
        let shown = min(count, 16)
        do {
            let images = try (0..<shown).map { try image($0) }
            let grid = try ImageGrid.render(images, captions: (0..<shown).map { caption($0) }, cellSize: 112, density: figureDensity)
            return DisplayBundle.png(grid, text: text + (count > shown ? " (first \(shown) shown)" : ""))
        } catch {
            return DisplayBundle(text: text + " (could not draw a preview: \(error))")
        }
    }
}

func registerDatasets(_ r: Registry) {
    let dataset = BuiltinType("Dataset", doc: "A collection of images with captions and attributes, made on demand. "
                              + "Index it for an image (`scenes[3]`), slice it for a grid (`scenes[0..<16]`), filter it by attribute.")
    dataset.addStatic(BuiltinFunction("scenes", [
        Parameter("count", type: "Int", default: .int(256), doc: "how many scenes (1 to 1,000,000)"),
        Parameter("seed", type: "Int", default: .int(0), doc: "the same seed always gives the same scenes"),
        Parameter("agreement", type: "Double", default: .null,
                  doc: "if set (e.g. 0.95), the shape group matches the background habitat this often: the Waterbirds-style split"),
        Parameter("words", type: "Double", default: .double(0.25), doc: "fraction of scenes with a word drawn on them"),
        Parameter("pairs", type: "Double", default: .double(0.25), doc: "fraction of scenes with a second object"),
    ], returns: "Dataset", doc: "The toy world: seeded, procedurally drawn scenes of shapes on textured backgrounds, "
       + "each with a caption and its attributes (shape, colour, size, position, background, habitat, group, word).") { ctx in
        let count = try ctx.int("count")
        guard (1...1_000_000).contains(count) else { throw ctx.valueError("count", "count must be between 1 and 1,000,000, got \(count)") }
        let seed = try ctx.seed()
        guard seed >= 0 else { throw ctx.valueError("seed", "seed must not be negative, got \(seed)") }
        var split = WorldSplit.uniform
        if ctx.has("agreement") {
            let a = try ctx.double("agreement")
            guard (0...1).contains(a) else { throw ctx.valueError("agreement", "agreement is a fraction between 0 and 1, got \(a)") }
            split = .correlated(agreement: a)
        }
        let words = try ctx.double("words"), pairs = try ctx.double("pairs")
        for (key, v) in [("words", words), ("pairs", pairs)] where !(0...1).contains(v) {
            throw ctx.valueError(key, "\(key) is a fraction between 0 and 1, got \(v)")
        }
        let config = WorldConfig(split: split, wordProbability: words, secondObjectProbability: pairs)
        let source = SceneSource(generator: SceneGenerator(seed: UInt64(seed), config: config))
        return .object(DatasetObject(source: source, indices: Array(0..<count)))
    })

    dataset.addStatic(BuiltinFunction("folder", [
        Parameter(nil, name: "path", type: "String", doc: "a folder of PNG/JPEG files, or of class sub-folders (ImageFolder layout)"),
        Parameter("limit", type: "Int", default: .null, doc: "keep at most this many images, in sorted order"),
    ], returns: "Dataset", doc: "Images from a folder, decoded when first used. With class sub-folders each image's "
       + "`label` is its sub-folder's name: `photos.filter(label: \"cat\")`.") { ctx in
        let limit = ctx.has("limit") ? try ctx.int("limit") : nil
        if let limit, limit < 1 { throw ctx.valueError("limit", "limit must be at least 1, got \(limit)") }
        let source = try FolderSource(root: try ctx.string("path"), limit: limit)
        ctx.noteLoad(try ctx.string("path"))
        return .object(DatasetObject(source: source, indices: Array(0..<source.files.count)))
    })
    registerRealDatasets(dataset)

    func receiver(_ ctx: CallContext) -> DatasetObject { (ctx.receiver.objectValue as? DatasetObject)! }

    dataset.addProperty(BuiltinProperty("count", type: "Int", doc: "Number of images.") { v in
        .int((v.objectValue as? DatasetObject)?.count ?? 0)
    })
    dataset.addProperty(BuiltinProperty("captions", type: "[String]", doc: "Every image's caption.") { v in
        guard let d = v.objectValue as? DatasetObject else { return .null }
        return .array((0..<d.count).map { .string(d.caption($0)) })
    })
    dataset.addMethod(BuiltinFunction("subscript", [Parameter(nil, name: "index", type: "Int or Range")], returns: "Image or Dataset",
                                      doc: "`d[3]` is one image; `d[0..<16]` is a smaller dataset, shown as a grid.") { ctx in
        let d = receiver(ctx)
        switch ctx.value("index") {
        case .int(let i):
            guard i >= 0, i < d.count else {
                throw ctx.valueError("index", "index \(i) is out of range 0..<\(d.count)")
            }
            return .object(try d.item(i))
        case .range(let lo, let hi, let closed):
            let r = Value.indices(lower: lo, upper: hi, closed: closed)
            guard r.lowerBound >= 0, r.upperBound <= d.count else {
                throw ctx.valueError("index", "slice \(ctx.value("index").repr) is outside 0..<\(d.count)")
            }
            return .object(DatasetObject(source: d.source, indices: Array(d.indices[r])))
        case let v:
            throw ctx.typeError("index", expected: "an Int or a Range", got: v)
        }
    })
    // Every dataset's attributes are labels of filter: the toy world's, a
    // folder's label, Waterbirds' and CelebA's (those that are identifiers:
    // '5_o_Clock_Shadow' starts with a digit, so only probes and groups reach it).
    let realLabels = WaterbirdsSource.attributes + CelebASource.standardAttributes.filter { !($0.first?.isNumber ?? true) }
    let attributeLabels = SceneVocabulary.attributes + ["color", "label"] + realLabels
    dataset.addMethod(BuiltinFunction("filter", attributeLabels.map { label in
        Parameter(label, type: "String", default: .null, doc: WaterbirdsSource.attributes.contains(label) ? "Waterbirds"
                  : CelebASource.standardAttributes.contains(label) ? "CelebA: \"yes\" or \"no\"" : "")
    }, returns: "Dataset", doc: "The images whose attributes have the given values: "
       + "`scenes.filter(background: \"water\", size: \"large\")`. `background: \"land\"` or "
       + "`\"water\"` also match a whole habitat; `word: \"any\"` or `\"none\"` match on having a word. "
       + "Waterbirds: `filter(bird: \"waterbird\", place: \"land\")`; CelebA: `filter(Blond_Hair: \"yes\")`.") { ctx in
        let d = receiver(ctx)
        var conditions: [(String, String)] = []
        for label in attributeLabels where ctx.has(label) {
            let value = try ctx.string(label)
            guard d.source.attributeNames.contains(label) || (label == "color" && d.source.attributeNames.contains("colour")) else {
                throw LoupeError(.argument, "these images have no '\(label)' attribute; they have "
                                 + d.source.attributeNames.map { "'\($0):'" }.joined(separator: ", "), at: ctx.spanOf(label))
            }
            if let valid = d.source.validValues(of: label), !valid.contains(value.lowercased()),
               !(label == "background" && ["water", "land"].contains(value.lowercased())) {
                let plural = label == "colour" || label == "color" ? "colours" : label + "s"
                let hint = nearestName(to: value, in: valid).map { " (did you mean '\($0)'?)" } ?? ""
                guard d.source is SceneSource else {
                    throw ctx.valueError(label, "'\(value)' is not a value of \(label)\(hint); its values are " + valid.joined(separator: ", "))
                }
                throw ctx.valueError(label, "'\(value)' is not a \(label)\(hint); \(plural) are " + valid.joined(separator: ", "))
            }
            conditions.append((label, value))
        }
        guard !conditions.isEmpty else {
            throw LoupeError(.argument, "filter needs at least one attribute, e.g. filter(background: \"water\"); these images' attributes are "
                             + d.source.attributeNames.map { "'\($0):'" }.joined(separator: ", "), at: ctx.span)
        }
        var kept: [Int] = []
        for index in d.indices {
            var ok = true
            for (k, v) in conditions where try !d.source.matches(index, k, v) { ok = false; break }
            if ok { kept.append(index) }
        }
        return .object(DatasetObject(source: d.source, indices: kept))
    })
    // Inside `filter(`, completion offers this dataset's attributes and, in a
    // string, the values of one.
    dataset.methods["filter"]!.completionLabels = { ($0.objectValue as? DatasetObject)?.source.attributeNames }
    dataset.methods["filter"]!.completionValues = { receiver, label in
        guard let d = receiver.objectValue as? DatasetObject else { return nil }
        let values = d.source.validValues(of: label == "color" ? "colour" : label)
        return label == "background" ? values.map { $0 + ["land", "water"] } : values
    }
    dataset.addMethod(BuiltinFunction("typographic", [Parameter(nil, name: "word", type: "String", doc: "the word to draw")],
                                      returns: "Dataset", doc: "The same scenes with a word drawn on each: a typographic attack.") { ctx in
        let d = receiver(ctx)
        guard let scenes = d.source as? SceneSource else {
            throw LoupeError(.type, "typographic copies can be made of toy-world scenes only", at: ctx.span)
        }
        let word = try ctx.string("word")
        guard !word.trimmingCharacters(in: .whitespaces).isEmpty, word.count <= 24 else {
            throw ctx.valueError("word", "the word must be 1 to 24 characters")
        }
        return .object(DatasetObject(source: SceneSource(generator: scenes.generator, typographicWord: word), indices: d.indices))
    })
    dataset.addMethod(BuiltinFunction("grid", [
        Parameter("count", type: "Int", default: .int(16)), Parameter("columns", type: "Int", default: .null),
        Parameter("size", type: "Int", default: .int(112), doc: "cell size in pixels"),
    ], returns: "Image", doc: "The first images as a captioned grid.") { ctx in
        let d = receiver(ctx)
        let n = min(d.count, try ctx.int("count"))
        guard n > 0 else { throw LoupeError(.value, "the dataset is empty", at: ctx.span) }
        let size = try ctx.int("size")
        guard (16...448).contains(size) else { throw ctx.valueError("size", "size must be between 16 and 448") }
        let grid = try ImageGrid.render(try (0..<n).map { try d.image($0) }, captions: (0..<n).map { d.caption($0) },
                                        columns: ctx.has("columns") ? try ctx.int("columns") : nil, cellSize: size, density: figureDensity)
        return .object(ImageObject(grid, caption: "\(n) images"))
    })
    dataset.addMethod(BuiltinFunction("save", [Parameter(nil, name: "folder", type: "String", doc: "where to write; created if missing")],
                                      returns: "Void", doc: "Writes toy-world scenes as PNG files plus scenes.jsonl and scenes.csv "
                                      + "(captions and attributes), each file atomically, with a progress display.") { ctx in
        let stop = ctx.interpreter.interrupt
        let d = receiver(ctx)
        guard let scenes = d.source as? SceneSource else {
            throw LoupeError(.type, "save writes toy-world scenes; other datasets are already files", at: ctx.span)
        }
        let folder = try ctx.string("folder")
        let indices = d.indices
        let progress = ProgressDisplay(output: ctx.interpreter.output, title: "Writing scenes", total: indices.count)
        var done = 0
        do {
            _ = try SceneWriter.write(count: indices.count, to: folder, progress: { written, _ in
                done = written
                progress.update(done: written)
                return !stop.isRequested
            }) { i in Scene(attributes: scenes.attributes(at: indices[i]), image: try scenes.image(at: indices[i])) }
        } catch {
            throw LoupeError(.io, "could not write scenes to \(folder): \(error)")
        }
        progress.finish(done: done, details: [("folder", folder)], interrupted: ctx.interrupted)
        if ctx.interrupted {
            throw LoupeError(.interrupted, "stopped after \(done) of \(indices.count) scenes; the files written to \(folder) are complete, "
                             + "but scenes.jsonl and scenes.csv list only those written", at: ctx.span)
        }
        return .void
    })
    r.add(dataset)
}

extension Value {
    var objectValue: HostObject? { if case .object(let o) = self { return o }; return nil }
}
