import LoupeLanguage
import LoupeDatasets
/// `Dataset.waterbirds` and `Dataset.celeba`: the two benchmarks of the
/// spurious-correlation experiments, read from their standard layouts.
func registerRealDatasets(_ dataset: BuiltinType) {
    func split(_ ctx: CallContext) throws -> BenchmarkSplit {
        let name = try ctx.string("split")
        guard let split = BenchmarkSplit.named(name) else {
            let hint = nearestName(to: name, in: BenchmarkSplit.allCases.map(\.rawValue)).map { " (did you mean '\($0)'?)" } ?? ""
            throw ctx.valueError("split", "'\(name)' is not a split\(hint); splits are \(BenchmarkSplit.names)")
        }
        return split
    }
    func limit(_ ctx: CallContext) throws -> Int? {
        guard ctx.has("limit") else { return nil }
        let limit = try ctx.int("limit")
        guard limit >= 1 else { throw ctx.valueError("limit", "limit must be at least 1, got \(limit)") }
        return limit
    }
    let splitParameter = Parameter("split", type: "String", default: .string("test"), doc: "\"train\", \"val\", \"test\" or \"all\"")
    let limitParameter = Parameter("limit", type: "Int", default: .null,
                                   doc: "keep at most this many images, as evenly over the groups as the split allows (Waterbirds: "
                                      + "bird × place; CelebA: the combinations of up to three kept attributes), so the worst group "
                                      + "is not left with a handful of images; each group's n shows in probe.evaluate")

    dataset.addStatic(BuiltinFunction("waterbirds", [
        Parameter(nil, name: "path", type: "String", doc: "the folder holding metadata.csv and the images it names"),
        splitParameter, limitParameter,
    ], returns: "Dataset", doc: "The Waterbirds benchmark (birds pasted on land or water backgrounds) from its standard layout: "
       + "metadata.csv with img_id, img_filename, y (0 landbird, 1 waterbird), split (0 train, 1 val, 2 test), place (0 land, 1 water). "
       + "Attributes: `bird` (landbird, waterbird) and `place` (land, water): `birds.filter(place: \"water\")`, "
       + "`clip.probe(birds, label: \"bird\")`, `probe.evaluate(test, groups: [\"bird\", \"place\"])`.") { ctx in
        let source = try WaterbirdsSource(root: try ctx.string("path"), split: try split(ctx), limit: try limit(ctx))
        ctx.noteLoad(try ctx.string("path"))
        return .object(DatasetObject(source: source, indices: Array(source.records.indices)))
    })

    dataset.addStatic(BuiltinFunction("celeba", [
        Parameter(nil, name: "path", type: "String", doc: "the folder holding list_attr_celeba.txt, list_eval_partition.txt and img_align_celeba/"),
        splitParameter, limitParameter,
        Parameter("attributes", type: "[String]", default: .null, doc: "which of the 40 attributes to keep, e.g. [\"Blond_Hair\", \"Male\"] (default: all)"),
    ], returns: "Dataset", doc: "CelebA faces from the standard layout: list_attr_celeba.txt (values 1/-1), list_eval_partition.txt "
       + "(0 train, 1 val, 2 test) and img_align_celeba/. Each attribute is \"yes\" or \"no\": "
       + "`faces.filter(Blond_Hair: \"yes\")`, `clip.probe(faces, label: \"Blond_Hair\")`, "
       + "`probe.evaluate(test, groups: [\"Blond_Hair\", \"Male\"])`.") { ctx in
        let attributes = ctx.has("attributes") ? try ctx.strings("attributes") : nil
        if let attributes, attributes.isEmpty { throw ctx.valueError("attributes", "give at least one attribute, or leave attributes: out for all 40") }
        let source: CelebASource
        do {
            source = try CelebASource(root: try ctx.string("path"), split: try split(ctx), limit: try limit(ctx), attributes: attributes)
        } catch let error as LoupeError where error.kind == .value && ctx.has("attributes") {
            throw ctx.valueError("attributes", error.message)
        }
        ctx.noteLoad(try ctx.string("path"))
        return .object(DatasetObject(source: source, indices: Array(source.files.indices)))
    })
}
