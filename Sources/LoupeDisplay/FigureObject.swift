import Foundation
import LoupeImage
import LoupeJSON
import LoupeLanguage
import LoupeRender

/// A picture with the table of numbers behind it. Jupyter shows one type of
/// a bundle, the richest it can, so the HTML holds both: the table and the
/// picture inlined beneath it. The picture's PNG is carried once, there;
/// the vendor table type carries the numbers for programs, and
/// `figure.image` gives the picture alone as `image/png`.
open class FigureObject: HostObject {
    public let table: TableObject
    package let image: RGBImage
    public let kind: String
    open var typeName: String { kind }

    package init(kind: String, table: TableObject, image: RGBImage) {
        self.kind = kind; self.table = table; self.image = image
    }

    open func display() -> DisplayBundle {
        guard let png = try? image.pngData() else { return table.display() }
        return DisplayBundle(text: table.plainText, data: [
            "text/html": .string(table.html + "<div><img src=\"data:image/png;base64,\(Data(png).base64EncodedString())\" "
                                 + "width=\"\(image.displayWidth)\" alt=\"\(escapeHTML(table.title ?? kind))\"></div>"),
            LoupeMIME.table: table.json,
        ])
    }
}

/// Figures are drawn at twice their display size, so they stay sharp on
/// high-DPI screens; their PNG metadata gives the display size.
package let figureDensity = 2
