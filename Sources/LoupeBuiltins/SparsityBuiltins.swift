import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeDisplay
import LoupeImage
import LoupeLanguage
import LoupeRender
import LoupeSAE

/// One row of an L0 table: count, mean and spread of a sample of per-token L0s.
private func l0Row(_ name: String, _ values: [Double]) -> [Value] {
    [.string(name), .int(values.count), .double(values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)),
     .double(TokenSparsity.quantile(values, 0.1)), .double(TokenSparsity.quantile(values, 0.5)),
     .double(TokenSparsity.quantile(values, 0.9))]
}

private let l0Columns = ["tokens", "count", "mean L0", "10th percentile", "median", "90th percentile"]

/// The fraction of tokens at each L0, as a line per token type.
private func l0Distribution(_ s: TokenSparsity) throws -> RGBImage {
    let top = Int((s.cls + s.spatial).max() ?? 0)
    func fractions(_ values: [Double]) -> [Double] {
        var counts = [Double](repeating: 0, count: top + 1)
        for v in values { counts[Int(v)] += 1 }
        return counts.map { $0 / Double(max(1, values.count)) }
    }
    let x = (0...top).map(Double.init)
    return try Chart.lines([LineSeries(name: "CLS", x: x, y: fractions(s.cls)),
                            LineSeries(name: "spatial", x: x, y: fractions(s.spatial))],
                           options: ChartOptions(width: 480, height: 320, title: "L0 by token type",
                                                 xLabel: "active latents per token", yLabel: "fraction of tokens", density: figureDensity))
}

/// The spatial L0 averaged over images, as a grid of patches.
private func l0Map(_ s: TokenSparsity, size: Int = 320) throws -> RGBImage? {
    guard let g = s.grid else { return nil }
    return try Heatmap.matrix(values: s.spatialMap, rows: g, columns: g, colormap: .magma, cellSize: max(8, size / g),
                              title: "Spatial L0, mean of \(s.images) images", label: "active latents", density: figureDensity)
}

func sparsityFigure(_ s: TokenSparsity, title: String) throws -> FigureObject {
    var rows = [l0Row("CLS", s.cls), l0Row("spatial", s.spatial)]
    if let g = s.grid, g >= 3 {
        // The ring of border patches against the patches inside it, over every image.
        var centre: [Double] = [], border: [Double] = []
        for i in 0..<s.images {
            for p in 0..<s.patches {
                let (r, c) = (p / g, p % g)
                let onBorder = r == 0 || c == 0 || r == g - 1 || c == g - 1
                if onBorder { border.append(s.spatial[i * s.patches + p]) } else { centre.append(s.spatial[i * s.patches + p]) }
            }
        }
        rows += [l0Row("spatial, centre patches", centre), l0Row("spatial, border patches", border)]
    }
    let table = TableObject(title: title, columns: l0Columns, rows: rows)
    let picture = arrange([try l0Distribution(s)] + [try l0Map(s)].compactMap { $0 }, vertical: false)
    return FigureObject(kind: "Sparsity", table: table, image: picture)
}

func registerSparsity(_ r: Registry) {
    r.type("SAE").addMethod(BuiltinFunction("sparsity", [
        Parameter(nil, name: "images", type: "Dataset"),
    ], returns: "Sparsity", doc: "L0 by token type: the class token against the spatial tokens (mean and distribution), "
       + "the central patches against the border, and the spatial L0 averaged over the images as a map. Every token is "
       + "encoded, whatever the SAE was trained on. A TopK SAE has L0 = k on every token by construction; compare ReLU, "
       + "JumpReLU or BatchTopK SAEs.") { ctx in
        let object = ctx.sae()
        let place = try object.placement(at: ctx.span)
        let d = try ctx.object("images", as: DatasetObject.self, named: "a Dataset")
        guard d.count > 0 else { throw ctx.valueError("images", "the dataset is empty") }
        do {
            let acts = try place.clip.activations(images: try d.allImages(ctx.interpreter), layer: place.layer,
                                                  site: place.site, tokens: .all)
            let s = try TokenSparsity.measure(object.sae, tokens: acts, grid: place.clip.config.gridSize,
                                              prefix: place.clip.config.prefixTokens)
            let title = String(format: "L0 at layer %d over %d images: CLS %.1f, spatial %.1f", place.layer, d.count,
                               s.meanCLS, s.meanSpatial)
            let figure = try sparsityFigure(s, title: title)
            return .object(SparsityObject(s, table: figure.table, image: figure.image))
        } catch { throw LoupeError(error, at: ctx.span) }
    })
    let sparsity = BuiltinType("Sparsity", doc: "L0 of an SAE by token type over a set of images.", isGlobal: false)
    addFigureMembers(to: sparsity)
    sparsity.addProperty(BuiltinProperty("cls", type: "Double", doc: "Mean L0 of the class tokens.") { v in
        .double((v.objectValue as! SparsityObject).sparsity.meanCLS)
    })
    sparsity.addProperty(BuiltinProperty("spatial", type: "Double", doc: "Mean L0 of the spatial tokens.") { v in
        .double((v.objectValue as! SparsityObject).sparsity.meanSpatial)
    })
    sparsity.addProperty(BuiltinProperty("map", type: "[Double]", doc: "Mean L0 of each patch position, raster order.") { v in
        .array((v.objectValue as! SparsityObject).sparsity.spatialMap.map { .double($0) })
    })
    r.add(sparsity)

    r.type("SAE").addStatic(BuiltinFunction("sparsityByLayer", [
        Parameter(nil, name: "saes", type: "[SAE]", doc: "SAEs of one model, one or more per layer"),
        Parameter("in", type: "Dataset", doc: "the images to encode"),
    ], returns: "Figure", doc: "Mean L0 of the class and the spatial tokens for each SAE, by layer: a chart and a table.") { ctx in
        let objects = try ctx.saes("saes")
        let d = try ctx.object("in", as: DatasetObject.self, named: "a Dataset")
        guard d.count > 0 else { throw ctx.valueError("in", "the dataset is empty") }
        var measured: [(layer: Int, sparsity: TokenSparsity)] = []
        do {
            let images = try d.allImages(ctx.interpreter)
            for object in objects {
                let place = try object.placement(at: ctx.spanOf("saes"))
                let acts = try place.clip.activations(images: images, layer: place.layer, site: place.site, tokens: .all)
                measured.append((place.layer, try TokenSparsity.measure(object.sae, tokens: acts, grid: place.clip.config.gridSize,
                                                                        prefix: place.clip.config.prefixTokens)))
            }
            measured.sort { $0.layer < $1.layer }
            let table = TableObject(title: "L0 by layer over \(d.count) images", columns: ["layer", "CLS L0", "spatial L0", "spatial / CLS"],
                                    rows: measured.map { m in
                [.int(m.layer), .double(m.sparsity.meanCLS), .double(m.sparsity.meanSpatial),
                 m.sparsity.meanCLS > 0 ? .double(m.sparsity.meanSpatial / m.sparsity.meanCLS) : .null]
            })
            let x = measured.map { Double($0.layer) }
            let chart = try Chart.lines([LineSeries(name: "CLS", x: x, y: measured.map(\.sparsity.meanCLS)),
                                         LineSeries(name: "spatial", x: x, y: measured.map(\.sparsity.meanSpatial))],
                                        options: ChartOptions(title: "L0 by layer and token type", xLabel: "layer",
                                                              yLabel: "mean active latents per token", density: figureDensity))
            return .object(FigureObject(kind: "Figure", table: table, image: chart))
        } catch { throw LoupeError(error, at: ctx.span) }
    })
    let figure = BuiltinType("Figure", doc: "A chart with the table of numbers behind it.", isGlobal: false)
    addFigureMembers(to: figure)
    r.add(figure)
}

/// L0 by token type, shown as its figure.
final class SparsityObject: FigureObject {
    let sparsity: TokenSparsity
    init(_ sparsity: TokenSparsity, table: TableObject, image: RGBImage) {
        self.sparsity = sparsity
        super.init(kind: "Sparsity", table: table, image: image)
    }
}
