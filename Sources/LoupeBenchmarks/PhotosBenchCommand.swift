import ArgumentParser
import Foundation
import LoupeCLIP
import LoupeImage
import LoupeBuiltins
import LoupeLanguage
import LoupeTensor

/// Activations of real photographs, the way a notebook asks for them
/// (`clip.activations(Dataset.folder(...), layer:)` through the language:
/// decode, resize, crop, forward), against the same forward pass on pixels
/// made ready beforehand, and beside open_clip reading the same files with
/// its own PIL preprocessing.
struct PhotosBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "photos", abstract: "Activations of JPEG/PNG photos through the language, beside ready tensors and open_clip.")

    @ArgumentParser.Argument(help: "An open_clip .safetensors checkpoint.") var checkpoint: String
    @ArgumentParser.Argument(help: "A folder of photos (dev/make_photos.py writes one).") var folder: String
    @Option(help: "Image-tower layer whose resid_post is captured (all tokens).") var layer = 11
    @Option(help: "Photos to use (the first ones, sorted by name).") var limit = 128
    @Option(help: "Timed rounds of each path.") var rounds = 3
    @Option(help: "Python with torch and open_clip_torch for the peer.") var peer: String?
    @Option(help: "open_clip architecture name for the peer.") var arch = "ViT-B-32"

    func run() throws {
        func log(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }
        let model = try CLIPModel(path: checkpoint)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { ["jpg", "jpeg", "png"].contains(($0 as NSString).pathExtension.lowercased()) }.sorted().prefix(limit)
            .map { (folder as NSString).appendingPathComponent($0) }
        guard !files.isEmpty else { throw ValidationError("no photos in \(folder)") }
        let key = ActivationKey(layer: layer, site: .residPost)

        // Ready tensors: every photo decoded and preprocessed before the clock starts.
        let pixels = try model.preprocessor.batch(range: 0..<files.count) { try ImageFile.read(files[$0]) }
        _ = try model.activations(pixels: pixels.rows(0..<min(files.count, CLIPModel.defaultBatchSize)), keys: [key])  // warm-up
        var ready: [Double] = []
        for _ in 0..<rounds {
            let t = Date()
            _ = try model.activations(pixels: pixels, keys: [key])
            ready.append(Double(files.count) / Date().timeIntervalSince(t))
        }

        // Through the language, a new session each round so no photo is cached.
        var language: [Double] = []
        let quoted = { (s: String) in "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        for _ in 0..<rounds {
            let session = Session(output: DiscardingSink())
            guard case .success = session.run("let clip = CLIP.load(\(quoted(checkpoint)))\n"
                                              + "let photos = Dataset.folder(\(quoted(folder)), limit: \(files.count))", color: false) else {
                throw ValidationError("the session could not load \(checkpoint) and \(folder)")
            }
            let t = Date()
            guard case .success = session.run("let acts = clip.activations(photos, layer: \(layer))", color: false) else {
                throw ValidationError("clip.activations failed in the session")
            }
            language.append(Double(files.count) / Date().timeIntervalSince(t))
        }
        func span(_ v: [Double]) -> String { String(format: "%.1f-%.1f", v.min()!, v.max()!) }
        print("photos=\(files.count) layer=\(layer) cpu=\"\(BLASRuntime.cpuModel)\" blas_core=\(BLASRuntime.core) threads=\(Parallel.threads)")
        print("loupe ready tensors      images_per_s=\(span(ready))")
        print("loupe photos (language)  images_per_s=\(span(language))  "
              + String(format: "= %.2fx the ready-tensor rate (best rounds)", language.max()! / ready.max()!))
        guard let peer else { return }
        log("running the open_clip peer on the same photos")
        for workers in [0, Parallel.threads] {
            let result = try runPeer(peer, ["bench/photos_peer.py", checkpoint, folder, "--arch", arch, "--layer", "\(layer)",
                                            "--limit", "\(files.count)", "--rounds", "\(rounds)", "--workers", "\(workers)"])
            let rates = result["images_per_s"]?.arrayValue?.compactMap(\.doubleValue) ?? []
            guard !rates.isEmpty else { continue }
            print("open_clip photos (\(workers == 0 ? "PIL in the main process" : "DataLoader, \(workers) workers"))"
                  + "  images_per_s=\(span(rates))  threads=\(result["threads"]?.intValue ?? 0)  "
                  + String(format: "loupe / open_clip = %.2fx (best rounds)", language.max()! / rates.max()!))
        }
    }
}
