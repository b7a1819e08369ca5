import ArgumentParser
import Foundation
import LoupeAnalysis
import LoupeTensor
import LoupeToyWorld

/// The monosemanticity score at the paper's size: Pach et al. score every
/// latent of a 49,152-wide SAE over the 50,000 ImageNet-val images. The
/// score is computed in blocks (`Monosemanticity.scores`), so beyond the
/// image-level activations it needs a few blocks of scratch, never the
/// 50,000 × 50,000 similarity matrix (10 GB). This measures that scratch as
/// the peak resident memory above what the inputs hold, and the time.
struct MSBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ms", abstract: "The monosemanticity score of every latent over many images: time and working memory.")

    @Option(help: "Images.") var images = 50_000
    @Option(help: "SAE latents.") var latents = 49_152
    @Option(help: "Width of the similarity encoder's embeddings (CLIP ViT-B/32: 512).") var dim = 512
    @Option(help: "Latents active per image, as a TopK SAE's class-token codes.") var active = 32

    func run() throws {
        func log(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }
        let inputBytes = images * latents * 4 + images * dim * 4
        log(String(format: "generating %d x %d image-level activations and %d x %d embeddings (%.1f GB)",
                   images, latents, images, dim, Double(inputBytes) / 1e9))
        // Sparse non-negative activations, as an SAE's: `active` latents per
        // image. The score's cost does not depend on the values.
        var activations = [Float](repeating: 0, count: images * latents)
        var embeddings = [Float](repeating: 0, count: images * dim)
        var rng = SplitMix64(seed: 1)
        func next() -> UInt64 { rng.next() }
        for i in 0..<images {
            for _ in 0..<active { activations[i * latents + Int(next() % UInt64(latents))] = Float(next() % 1000) / 100 + 0.01 }
            var norm: Float = 0
            for c in 0..<dim { let v = Float(Int(next() % 2001) - 1000); embeddings[i * dim + c] = v; norm += v * v }
            let inv = 1 / norm.squareRoot()
            for c in 0..<dim { embeddings[i * dim + c] *= inv }
        }
        // The peak from here on is the score's own: reset the high-water mark.
        let canReset = (try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)) != nil
        let before = ProcessMemory.resident()
        let started = Date()
        let scores = Monosemanticity.scores(activations: activations, images: images, latents: latents,
                                            embeddings: embeddings, dim: dim)
        let seconds = Date().timeIntervalSince(started)
        let peak = ProcessMemory.peakResident()
        let live = scores.compactMap { $0 }
        let mean = live.isEmpty ? 0 : live.reduce(0, +) / Double(live.count)
        let working = canReset ? String(format: "%.0f MB", Double(max(0, peak - before)) / 1e6) : "unknown (no clear_refs)"
        print(String(format: "monosemanticity images=%d latents=%d dim=%d seconds=%.1f working_memory=%@ (estimate %.0f MB) "
                     + "inputs=%.1f GB live=%d mean_MS=%.4f cpu=\"%@\" blas_core=%@ threads=%d", images, latents, dim, seconds,
                     working, Double(Monosemanticity.workingBytes(latents: latents, dim: dim)) / 1e6, Double(inputBytes) / 1e9,
                     live.count, mean, BLASRuntime.cpuModel, BLASRuntime.core, Parallel.threads))
        withExtendedLifetime(activations) {}
        withExtendedLifetime(embeddings) {}
    }
}
