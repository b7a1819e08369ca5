import ArgumentParser
import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeSAE
import LoupeTensor
import LoupeToyWorld

/// The paper-scale steerability sweep: every latent of a wide SAE on the
/// last layer, a large vocabulary, a batch of images. The last layer is
/// done in closed form (ClosedFormSteering), so the whole sweep is a few
/// matrix products and one softmax per (latent, image) pair.
struct SteerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steer", abstract: "Steerability of every latent at the last layer, beside a PyTorch peer.")

    @Argument(help: "An open_clip .safetensors checkpoint (ViT-B/32-shaped for the reference figures).") var checkpoint: String
    @Option(help: "SAE latents (all are swept).") var latents = 49_152
    @Option(help: "Vocabulary size (CLIP's most frequent whole-word tokens).") var words = 5_000
    @Option(help: "Images (toy-world scenes).") var images = 192
    @Option(help: "Clamp value.") var clamp: Float = 150
    @Option(help: "Python with torch and open_clip_torch for the peer.") var peer: String?
    @Option(help: "Latents the peer times before extrapolating to all of them.") var peerLatents = 128

    func run() throws {
        func log(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }
        let model = try CLIPModel(path: checkpoint)
        let vocabulary = Array(try CLIPTokenizer.standard().commonWords.prefix(words))
        let scenes = try SceneGenerator(seed: 7).scenes(0..<images).map(\.image)
        let sae = try SparseAutoencoder(dIn: model.config.vision.width, dSAE: latents, architecture: TopKArchitecture(k: 32), seed: 1)
        log("sweeping \(latents) latents x \(vocabulary.count) words x \(scenes.count) images, clamp \(clamp)")

        // The two forward passes the sweep starts with, timed alone for the breakdown.
        var clock = Date()
        _ = try model.activations(images: scenes, layer: model.config.vision.layers - 1, site: .residPost, tokens: .cls)
        let imageSeconds = Date().timeIntervalSince(clock)
        clock = Date()
        _ = try model.embed(texts: vocabulary)
        let textSeconds = Date().timeIntervalSince(clock)

        let started = Date()
        var lastReport = started
        let result = try Steerability.measure(model, kind: .latent(sae, tokens: .all), units: Array(0..<latents),
                                              layer: model.config.vision.layers - 1, images: scenes,
                                              vocabulary: vocabulary, clamp: clamp) { done in
            if Date().timeIntervalSince(lastReport) > 10 {
                lastReport = Date()
                log(String(format: "  %d/%d latents, %.0fs", done, latents, lastReport.timeIntervalSince(started)))
            }
            return true
        }
        let seconds = Date().timeIntervalSince(started)
        print(String(format: "loupe     latents=%d words=%d images=%d seconds=%.1f (image forward %.1f, text %.1f, sweep %.1f) "
                     + "mean_S=%.4f steerable=%.3f blas=\"%@\"", result.scores.count, vocabulary.count, scenes.count, seconds,
                     imageSeconds, textSeconds, seconds - imageSeconds - textSeconds, result.meanScore, result.fractionSteerable, BLASRuntime.description))
        guard let peer else { return }
        let torch = try runPeer(peer, ["bench/steer_peer.py", checkpoint, "--latents", "\(latents)", "--words", "\(vocabulary.count)",
                                       "--images", "\(scenes.count)", "--sample", "\(peerLatents)", "--clamp", "\(clamp)"])
        let peerSeconds = torch["total_s"]?.doubleValue ?? .nan
        func part(_ key: String) -> Double { torch[key]?.doubleValue ?? .nan }
        print(String(format: "pytorch   seconds=%.1f (image forward %.1f, text %.1f, sweep %.1f extrapolated from %d latents; "
                     + "head re-run per latent, batched) (%@)", peerSeconds, part("images_s"), part("text_s"), part("sweep_s"),
                     peerLatents, torch["implementation"]?.stringValue ?? "?"))
        print(String(format: "loupe / pytorch: %.1fx faster", peerSeconds / seconds))
    }
}
