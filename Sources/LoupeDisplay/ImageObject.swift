import Foundation
import LoupeImage
import LoupeJSON
import LoupeLanguage
import LoupeRender

/// An image value: shown inline as a PNG.
public final class ImageObject: HostObject {
    package let image: RGBImage
    public let caption: String?
    public var typeName: String { "Image" }

    package init(_ image: RGBImage, caption: String? = nil) {
        self.image = image
        self.caption = caption
    }

    public func display() -> DisplayBundle {
        let text = "Image \(image.displayWidth)×\(image.displayHeight)" + (caption.map { ": \($0)" } ?? "")
        return DisplayBundle.png(image, text: text)
    }
}

extension DisplayBundle {
    /// text/plain plus image/png, with the display size in the metadata as
    /// Jupyter front ends expect (half the pixel size for a figure drawn at
    /// density 2, so it is sharp on high-DPI screens).
    package static func png(_ image: RGBImage, text: String) -> DisplayBundle {
        guard let bytes = try? image.pngData() else { return DisplayBundle(text: text + " (PNG encoding failed)") }
        return DisplayBundle(text: text, data: ["image/png": .string(Data(bytes).base64EncodedString())],
                             metadata: ["image/png": ["width": .int(image.displayWidth), "height": .int(image.displayHeight)]])
    }
}

