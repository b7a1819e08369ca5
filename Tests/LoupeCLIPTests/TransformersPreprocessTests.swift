import Foundation
import LoupeCLIP
import LoupeImage
import LoupeJSON
import LoupeTensor
import XCTest

/// A Hugging Face folder preprocesses as transformers' CLIPImageProcessor
/// does, following its preprocessor_config.json: real non-square photos
/// and awkward images agree with transformers' pixel values and with its
/// model's hidden states at every layer (dev/make_hf_preprocess_fixture.py).
final class TransformersPreprocessTests: XCTestCase {
    static let images = ["astronaut.jpg", "cat.jpg", "coffee.png", "rgba.png", "cmyk.jpg", "palette.png", "gray.png",
                         "small_upscale.png"]

    func testPixelsAndEveryLayerMatchTransformers() throws {
        let model = try CLIPModel(path: Fixtures.path("hf_photos"))
        XCTAssertEqual(model.preprocessor.convention, .transformers)
        let ref = try Fixtures.reference("hf_photos")
        for name in Self.images {
            let image = try ImageFile.read(Fixtures.path("hf_photos_images/\(name)"))
            let pixels = model.pixels([image])
            assertClose(pixels, try ref.tensor("\(name).pixels"), rtol: 1e-6, "\(name) pixels")
            let keys = (0..<model.config.vision.layers).map { ActivationKey(layer: $0, site: .residPost) }
                + [ActivationKey(layer: 0, site: .residPre)]
            let acts = try model.activations(pixels: pixels, keys: keys)
            for layer in 0..<model.config.vision.layers {
                assertClose(acts[ActivationKey(layer: layer, site: .residPost)]!, try ref.tensor("\(name).resid_post.\(layer)"),
                            "\(name) layer \(layer)")
            }
            assertClose(acts[ActivationKey(layer: 0, site: .residPre)]!, try ref.tensor("\(name).resid_pre.0"), "\(name) layer 0 input")
            assertClose(model.embed(images: [image], normalize: false), try ref.tensor("\(name).image_embedding"), "\(name) embedding")
        }
    }

    /// The photos were cut so that the crop margin is odd: open_clip's
    /// convention would start the crop a pixel later, which the test above
    /// would catch. This pins that the fixture really exercises it.
    func testTheFixtureSeparatesTheTwoConventions() throws {
        let model = try CLIPModel(path: Fixtures.path("hf_photos"))
        let openCLIP = CLIPPreprocessor(imageSize: model.config.imageSize, mean: model.config.mean, std: model.config.std)
        let ref = try Fixtures.reference("hf_photos")
        let image = try ImageFile.read(Fixtures.path("hf_photos_images/astronaut.jpg"))
        let (d, _) = maxAbsDiff(openCLIP.pixels(image), try ref.tensor("astronaut.jpg.pixels"))
        XCTAssertGreaterThan(d, 0.05, "open_clip's transform should not match transformers' on an odd crop margin")
    }

    func testSettingsLoupeCannotReproduceAreRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hf-pre-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for file in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(atPath: Fixtures.path("hf_photos/\(file)"), toPath: "\(folder)/\(file)")
        }
        let cases: [(String, String)] = [
            (#"{"resample": 1}"#, "resample"),
            (#"{"crop_size": {"height": 64, "width": 48}}"#, "crop_size"),
            (#"{"crop_size": 32}"#, "crop_size"),
            (#"{"size": {"shortest_edge": 32}}"#, "size"),
            (#"{"do_rescale": false}"#, "do_rescale"),
            (#"{"size": {"shortest_edge": 64, "longest_edge": 80}}"#, "size"),
        ]
        for (settings, key) in cases {
            try settings.write(toFile: "\(folder)/preprocessor_config.json", atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try CLIPModel(path: folder), settings) { error in
                XCTAssertTrue("\(error)".contains(key), "\(settings): \(error)")
            }
        }
        // No preprocessor_config.json: transformers' defaults at the model's size.
        try FileManager.default.removeItem(atPath: "\(folder)/preprocessor_config.json")
        let model = try CLIPModel(path: folder)
        XCTAssertEqual(model.preprocessor.convention, .transformers)
        XCTAssertEqual(model.preprocessor.resize, .shortestEdge(model.config.imageSize))
    }
}
