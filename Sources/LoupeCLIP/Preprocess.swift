import Foundation
import LoupeImage
import LoupeTensor

/// The first error thrown by any of several threads.
final class FirstError: @unchecked Sendable {
    private var error: Error?
    private let lock = NSLock()
    var happened: Bool { lock.withLock { error != nil } }
    func record(_ e: Error) { lock.withLock { if error == nil { error = e } } }
    func rethrow() throws { if let e = lock.withLock({ error }) { throw e } }
}

/// How images become the model's input, in one of the two conventions
/// Loupe's checkpoints come with, each reproduced exactly on 8-bit images.
///
/// - open_clip (its evaluation transform): Resize(shortest side → size,
///   bicubic, antialiased, via PIL), CenterCrop with offsets rounded half
///   to even, convert to RGB (alpha dropped), scale to [0, 1],
///   Normalize(mean, std).
/// - transformers (`CLIPImageProcessor`, following the folder's
///   `preprocessor_config.json`): alpha composited onto white first, the
///   resize to `size` as torch's uint8 bicubic kernel does it (PIL's
///   algorithm with 16-bit taps), a centre crop to `crop_size` whose
///   offsets are truncated (`int((h - crop) / 2)`, one pixel off open_clip's
///   for odd margins), then one fused step (x − 255·mean) / (255·std).
package struct CLIPPreprocessor: Sendable {
    package enum Convention: String, Sendable { case openCLIP = "open_clip", transformers }
    /// What the shorter side (or both sides) is resized to before cropping.
    package enum Resize: Sendable, Equatable {
        case shortestEdge(Int)
        case exact(width: Int, height: Int)
    }

    /// The model's input size: the side of the square crop.
    package let imageSize: Int
    package let mean: [Float]
    package let std: [Float]
    package let convention: Convention
    package let resize: Resize?
    package let filter: PillowResample.Filter
    package let centerCrop: Bool
    /// transformers' rescale factor (1/255), applied with the normalisation.
    package let rescaleFactor: Double
    package let normalize: Bool

    /// open_clip's transform.
    package init(imageSize: Int, mean: [Float] = CLIPConfig.openAIMean, std: [Float] = CLIPConfig.openAIStd) {
        precondition(mean.count == 3 && std.count == 3, "mean and std need three values")
        self.imageSize = imageSize; self.mean = mean; self.std = std
        convention = .openCLIP; resize = .shortestEdge(imageSize); filter = .bicubic; centerCrop = true
        rescaleFactor = 1 / 255; normalize = true
    }

    /// transformers' transform with explicit settings.
    package init(transformersImageSize imageSize: Int, resize: Resize?, filter: PillowResample.Filter, centerCrop: Bool,
                rescaleFactor: Double, normalize: Bool, mean: [Float], std: [Float]) {
        precondition(mean.count == 3 && std.count == 3, "mean and std need three values")
        self.imageSize = imageSize; self.mean = mean; self.std = std
        convention = .transformers; self.resize = resize; self.filter = filter; self.centerCrop = centerCrop
        self.rescaleFactor = rescaleFactor; self.normalize = normalize
    }

    /// Size after the resize step on a width×height image. For a shortest
    /// edge, the shorter side becomes that size and the longer keeps the
    /// ratio, truncated (torchvision and transformers compute it alike).
    package func resizedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        switch resize {
        case nil: return (width, height)
        case .exact(let w, let h): return (w, h)
        case .shortestEdge(let size):
            if width <= height { return (size, Int(Double(size) * Double(height) / Double(width))) }
            return (Int(Double(size) * Double(width) / Double(height)), size)
        }
    }

    /// Where the centre crop starts along a side of `length` pixels.
    func cropOffset(_ length: Int) -> Int {
        switch convention {
        case .openCLIP: return roundHalfEven(Double(length - imageSize) / 2)
        case .transformers: return Int(Double(length - imageSize) / 2)
        }
    }

    /// The resized and centre-cropped RGB image (before normalisation).
    package func croppedImage(_ image: DecodedImage) -> RGBImage {
        let (w, h) = resizedSize(width: image.width, height: image.height)
        var source = image
        // transformers makes every image RGB before anything else, compositing
        // transparency onto white.
        if convention == .transformers {
            switch image.layout {
            case .rgb: break
            case .rgba: source = DecodedImage.onWhite(image)
            case .cmyk: source = DecodedImage(image.toRGB())
            }
        }
        let channels = source.layout.channels
        var samples = source.samples
        // PIL resizes palette and 1-bit images nearest-neighbour; transformers
        // has made them RGB arrays by then, which resize like any other.
        let nearest = convention == .openCLIP && source.resizesNearest
        // PIL interpolates images with alpha in premultiplied form.
        if source.layout == .rgba && !nearest { PillowResample.premultiply(&samples) }
        let filter: PillowResample.Filter = nearest ? .nearest : self.filter
        // Both sides are at least imageSize after the resize (checked when
        // the settings were read), so the crop never needs padding.
        let top = centerCrop ? cropOffset(h) : 0, left = centerCrop ? cropOffset(w) : 0
        var cropped = PillowResample.resize(samples, width: source.width, height: source.height, channels: channels,
                                            to: w, h, filter: filter,
                                            arithmetic: convention == .transformers ? .torchInt16 : .pillow,
                                            window: (left..<(left + imageSize), top..<(top + imageSize)))
        if source.layout == .rgba && !nearest { PillowResample.unpremultiply(&cropped) }
        return RGBImage(width: imageSize, height: imageSize, pixels: DecodedImage.rgbSamples(cropped, layout: source.layout))
    }

    /// Normalised pixels [3, size, size] for one image.
    package func pixels(_ image: DecodedImage) -> Tensor {
        let rgb = croppedImage(image)
        let n = imageSize * imageSize
        let out = Tensor(zeros: [3, imageSize, imageSize])
        for c in 0..<3 {
            let plane = out.pointer + c * n
            switch (convention, normalize) {
            case (.openCLIP, _):
                // ToTensor divides by 255, then Normalize subtracts and divides, in float32.
                let m = mean[c], s = std[c]
                for i in 0..<n { plane[i] = (Float(rgb.pixels[3 * i + c]) / 255 - m) / s }
            case (.transformers, true):
                // Rescale folded into the normalisation, as transformers does:
                // mean and std are scaled by 1/factor in float32 first.
                let scale = Float(1 / rescaleFactor), m = mean[c] * scale, s = std[c] * scale
                for i in 0..<n { plane[i] = (Float(rgb.pixels[3 * i + c]) - m) / s }
            case (.transformers, false):
                for i in 0..<n { plane[i] = Float(rgb.pixels[3 * i + c]) * Float(rescaleFactor) }
            }
        }
        return out
    }

    /// Normalised pixels [3, size, size] for an RGB picture.
    package func pixels(_ image: RGBImage) -> Tensor { pixels(DecodedImage(image)) }

    /// A batch [count, 3, size, size].
    package func batch(_ images: [DecodedImage]) -> Tensor {
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

    /// A batch [range.count, 3, size, size] of images made by `image(i)`,
    /// decoded and preprocessed in parallel; the first error `image` throws
    /// is rethrown.
    package func batch(range: Range<Int>, image: (Int) throws -> DecodedImage) throws -> Tensor {
        let per = 3 * imageSize * imageSize
        let out = Tensor(zeros: [range.count, 3, imageSize, imageSize])
        let failure = FirstError()
        Parallel.forEach(range.count) { part in
            for i in part where !failure.happened {
                do {
                    let one = pixels(try image(range.lowerBound + i))
                    withExtendedLifetime(one) { (out.pointer + i * per).update(from: one.pointer, count: per) }
                } catch { failure.record(error) }
            }
        }
        try failure.rethrow()
        return out
    }

    func roundHalfEven(_ v: Double) -> Int { Int(v.rounded(.toNearestOrEven)) }
}
