import Foundation
import LoupeDisplay
import LoupeFiles
import LoupeImage
import LoupeJSON
import LoupeLanguage
import LoupeRender

func registerGraphics(_ r: Registry) {
    let image = BuiltinType("Image", doc: "An RGB image, shown inline as a PNG.", isGlobal: false)
    image.addProperty(BuiltinProperty("width", type: "Int", doc: "Width in pixels.") { v in
        guard case .object(let o) = v, let img = o as? ImageObject else { return .null }
        return .int(img.image.width)
    })
    image.addProperty(BuiltinProperty("height", type: "Int", doc: "Height in pixels.") { v in
        guard case .object(let o) = v, let img = o as? ImageObject else { return .null }
        return .int(img.image.height)
    })
    image.addMethod(BuiltinFunction("save", [Parameter(nil, name: "path", type: "String", doc: "a .png file")],
                                    doc: "Writes the image as a PNG, atomically (a figure's picture too: `page.image.save(...)`).") { ctx in
        let path = try ctx.string("path")
        guard (path as NSString).pathExtension.lowercased() == "png" else {
            throw ctx.valueError("path", "images are saved as PNG: give a path ending in .png")
        }
        guard let img = ctx.receiver.objectValue as? ImageObject else { return .void }
        do { try AtomicFile.write(try img.image.pngData(), to: path) } catch {
            throw ctx.valueError("path", "could not write \(path): \(error)")
        }
        return .void
    })
    r.add(image)
    r.add(BuiltinFunction("logo", [Parameter("size", type: "Int", default: .int(128), doc: "side in pixels, 8 to 1024")],
                          returns: "Image", doc: "Loupe's logo, drawn at the given size.") { ctx in
        let size = try ctx.int("size")
        guard (8...1024).contains(size) else { throw ctx.valueError("size", "size must be between 8 and 1024, got \(size)") }
        return .object(ImageObject(Logo.draw(size: size), caption: "Loupe"))
    })
}
