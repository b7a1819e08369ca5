import Foundation
import LoupeImage
import LoupeJSON
import LoupeLanguage
import LoupeRender

/// A picture with the table of numbers behind it. Jupyter shows the richest
/// type it can, and HTML outranks PNG, so the HTML holds both: the table
/// and the picture inlined beneath it. `image/png` and the vendor table
/// type carry each alone for programs and exports.
public class FigureObject: HostObject {
    public let table: TableObject
    package let image: RGBImage
    public let kind: String
    public var typeName: String { kind }

    init(kind: String, table: TableObject, image: RGBImage) {
        self.kind = kind; self.table = table; self.image = image
    }

    public func display() -> DisplayBundle {
        var bundle = DisplayBundle.png(image, text: table.plainText)
        guard case .string(let png)? = bundle.data["image/png"] else { return table.display() }
        bundle.data["text/html"] = .string(table.html + "<div><img src=\"data:image/png;base64,\(png)\" "
                                           + "width=\"\(image.displayWidth)\" alt=\"\(escapeHTML(table.title ?? kind))\"></div>")
        bundle.data[LoupeMIME.table] = table.json
        return bundle
    }

    /// The `table` and `image` members every figure type shares.
    static func addMembers(to type: BuiltinType) {
        type.addProperty(BuiltinProperty("table", type: "Table", doc: "The numbers, as a table.") { v in
            .object((v.objectValue as! FigureObject).table)
        })
        type.addProperty(BuiltinProperty("image", type: "Image", doc: "The picture alone.") { v in
            let f = v.objectValue as! FigureObject
            return .object(ImageObject(f.image, caption: f.table.title))
        })
    }
}

/// Pictures laid side by side (or one above another), top- or left-aligned
/// on white, with a gap between them.
/// Parts of different densities are brought to the finest first.
func arrange(_ parts: [RGBImage], vertical: Bool, gap: Int = 12) -> RGBImage {
    let density = parts.map(\.density).max() ?? 1
    let parts = parts.map { part in
        guard part.density < density else { return part }
        var scaled = Resample.image(part, width: part.width * density / part.density, height: part.height * density / part.density)
        scaled.density = density
        return scaled
    }
    let gap = gap * density
    let width = vertical ? parts.map(\.width).max() ?? 1 : parts.map(\.width).reduce(0, +) + gap * max(0, parts.count - 1)
    let height = vertical ? parts.map(\.height).reduce(0, +) + gap * max(0, parts.count - 1) : parts.map(\.height).max() ?? 1
    var canvas = Canvas(width: max(1, width), height: max(1, height))
    var offset = 0
    for part in parts {
        canvas.draw(part, x: vertical ? 0 : offset, y: vertical ? offset : 0)
        offset += (vertical ? part.height : part.width) + gap
    }
    var image = canvas.image
    image.density = density
    return image
}

/// Figures are drawn at twice their display size, so they stay sharp on
/// high-DPI screens; their PNG metadata gives the display size.
let figureDensity = 2
