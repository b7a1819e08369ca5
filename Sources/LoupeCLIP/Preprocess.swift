import LoupeImage
import LoupeTensor

/// open_clip's evaluation transform, reproduced exactly on 8-bit images:
/// Resize(shortest side → size, bicubic, antialiased, via PIL), CenterCrop,
/// convert to RGB, scale to [0, 1], Normalize(mean, std).
public struct CLIPPreprocessor: Sendable {
    public let imageSize: Int
    public let mean: [Float]
    public let std: [Float]

    public init(imageSize: Int, mean: [Float] = CLIPConfig.openAIMean, std: [Float] = CLIPConfig.openAIStd) {
        precondition(mean.count == 3 && std.count == 3, "mean and std need three values")
        self.imageSize = imageSize; self.mean = mean; self.std = std
    }

    /// Size after torchvision's Resize(size) on a width×height image: the
    /// shorter side becomes `size`, the longer keeps the ratio (truncated).
    public func resizedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        if width <= height {
            return (imageSize, Int(Double(imageSize) * Double(height) / Double(width)))
        }
        return (Int(Double(imageSize) * Double(width) / Double(height)), imageSize)
    }

    /// The resized and centre-cropped RGB image (before normalisation).
    public func croppedImage(_ image: DecodedImage) -> RGBImage {
        let (w, h) = resizedSize(width: image.width, height: image.height)
        let channels = image.layout.channels
        var samples = image.samples
        // PIL interpolates images with alpha in premultiplied form.
        if image.layout == .rgba && !image.resizesNearest { PillowResample.premultiply(&samples) }
        // CenterCrop offsets use Python's round() (half to even); both sides
        // are at least imageSize after the resize, so no padding is needed.
        let top = roundHalfEven(Double(h - imageSize) / 2), left = roundHalfEven(Double(w - imageSize) / 2)
        var cropped = PillowResample.resize(samples, width: image.width, height: image.height, channels: channels,
                                            to: w, h, filter: image.resizesNearest ? .nearest : .bicubic,
                                            window: (left..<(left + imageSize), top..<(top + imageSize)))
        if image.layout == .rgba && !image.resizesNearest { PillowResample.unpremultiply(&cropped) }
        return RGBImage(width: imageSize, height: imageSize, pixels: DecodedImage.rgbSamples(cropped, layout: image.layout))
    }

    /// Normalised pixels [3, size, size] for one image.
    public func pixels(_ image: DecodedImage) -> Tensor {
        let rgb = croppedImage(image)
        let n = imageSize * imageSize
        let out = Tensor(zeros: [3, imageSize, imageSize])
        for c in 0..<3 {
            let m = mean[c], s = std[c], plane = out.pointer + c * n
            // ToTensor divides by 255, then Normalize subtracts and divides, in float32.
            for i in 0..<n { plane[i] = (Float(rgb.pixels[3 * i + c]) / 255 - m) / s }
        }
        return out
    }

    /// Normalised pixels [3, size, size] for an RGB picture.
    public func pixels(_ image: RGBImage) -> Tensor { pixels(DecodedImage(image)) }

    /// A batch [count, 3, size, size].
    public func batch(_ images: [DecodedImage]) -> Tensor {
        let per = 3 * imageSize * imageSize
        let out = Tensor(zeros: [images.count, 3, imageSize, imageSize])
        Parallel.forEach(images.count) { range in
            for i in range {
                // A named, extended lifetime: a temporary tensor could be freed
                // as soon as its pointer is read.
                let one = pixels(images[i])
                withExtendedLifetime(one) { (out.pointer + i * per).update(from: one.pointer, count: per) }
            }
        }
        return out
    }

    func roundHalfEven(_ v: Double) -> Int { Int(v.rounded(.toNearestOrEven)) }
}
