import Foundation
import LoupeCLIP
import LoupeTensor

/// What `runCLIPBenchmark` measured.
struct CLIPBenchmarkResult: Sendable {
    let architecture: String
    let batchSize: Int
    let batches: Int
    /// Images per second through the image tower with every layer's
    /// resid_post captured for all tokens, over all timed batches.
    let imagesPerSecond: Double
    /// The same for the fastest batch (robust to other work on the machine).
    let bestImagesPerSecond: Double
    /// Arithmetic rate of those forward passes (matrix products only).
    let forwardGFLOPS: Double
    /// sgemm rate on the tower's largest product shape, alone.
    let sgemmPeakGFLOPS: Double
    /// Resident memory right after loading (weights mapped, not yet touched).
    let residentAfterLoad: Int
    /// Peak resident memory over the whole run, capture buffers included.
    let peakResident: Int
    let fileSize: Int
    let blasCore: String
    let threads: Int

    /// Share of the sgemm rate the whole forward pass achieves.
    var sgemmShare: Double { forwardGFLOPS / sgemmPeakGFLOPS }

    /// The figures as a JSON-ready dictionary (numbers and strings).
    var fields: [(String, String)] {
        [("architecture", architecture), ("batch", "\(batchSize)"), ("batches", "\(batches)"),
         ("images_per_s", String(format: "%.2f", imagesPerSecond)),
         ("best_images_per_s", String(format: "%.2f", bestImagesPerSecond)),
         ("forward_gflops", String(format: "%.1f", forwardGFLOPS)),
         ("sgemm_peak_gflops", String(format: "%.1f", sgemmPeakGFLOPS)),
         ("sgemm_share", String(format: "%.2f", sgemmShare)),
         ("rss_after_load_mib", String(format: "%.1f", Double(residentAfterLoad) / 1048576)),
         ("peak_rss_mib", String(format: "%.1f", Double(peakResident) / 1048576)),
         ("file_mib", String(format: "%.1f", Double(fileSize) / 1048576)),
         ("blas_core", blasCore), ("threads", "\(threads)")]
    }
}

/// Benchmarks the image tower of the checkpoint at `checkpoint`: `batches`
/// timed forward passes (after one warm-up) of `batchSize` random images,
/// capturing resid_post at every layer for every token, as activation
/// collection for SAE training does.
func runCLIPBenchmark(checkpoint: String, batchSize: Int = 32, batches: Int = 3) throws -> CLIPBenchmarkResult {
    let model = try CLIPModel(path: checkpoint)
    let afterLoad = ProcessMemory.resident()
    let c = model.config
    let pixels = Tensor(zeros: [batchSize, 3, c.imageSize, c.imageSize])
    var seed: UInt64 = 42
    for i in 0..<pixels.count {
        seed = seed &* 6364136223846793005 &+ 1442695040888963407
        pixels.pointer[i] = Float(Int64(bitPattern: seed >> 11) % 2000) / 1000 - 1
    }
    let captured = (0..<c.vision.layers).map { _ in Tensor(zeros: [batchSize, c.visionTokens, c.vision.width]) }
    var hooks = HookSet()
    hooks.add(layer: nil, site: .residPost) { buf in
        captured[buf.layer].pointer.update(from: buf.pointer, count: buf.batch * buf.tokens * buf.width)
    }
    _ = model.encodeImages(pixels: pixels, hooks: hooks, batchSize: batchSize)   // warm-up: pages in the weights
    var seconds = 0.0, best = Double.infinity
    for _ in 0..<batches {
        let start = DispatchTime.now().uptimeNanoseconds
        _ = model.encodeImages(pixels: pixels, hooks: hooks, batchSize: batchSize)
        let s = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        seconds += s
        best = min(best, s)
    }
    let flops = visionFLOPs(c) * Double(batchSize * batches)
    return CLIPBenchmarkResult(
        architecture: c.architectureName, batchSize: batchSize, batches: batches,
        imagesPerSecond: Double(batchSize * batches) / seconds, bestImagesPerSecond: Double(batchSize) / best,
        forwardGFLOPS: flops / seconds / 1e9,
        sgemmPeakGFLOPS: sgemmRate(m: batchSize * c.visionTokens, n: c.vision.mlpWidth, k: c.vision.width),
        residentAfterLoad: afterLoad, peakResident: ProcessMemory.peakResident(), fileSize: model.fileSize,
        blasCore: BLASRuntime.core, threads: Parallel.threads)
}

/// Multiply-add work of one image through the image tower, counted as 2 flops each.
func visionFLOPs(_ c: CLIPConfig) -> Double {
    let t = Double(c.visionTokens), d = Double(c.vision.width), m = Double(c.vision.mlpWidth)
    let patches = Double(c.gridSize * c.gridSize) * 3 * Double(c.patchSize * c.patchSize) * d
    let perLayer = t * d * 3 * d + 2 * t * t * d + t * d * d + 2 * t * d * m
    return 2 * (patches + Double(c.vision.layers) * perLayer + d * Double(c.embedDim))
}

/// Best sgemm rate over a few runs of one [m×k]·[n×k]ᵀ product.
func sgemmRate(m: Int, n: Int, k: Int) -> Double {
    let a = Tensor(zeros: [m, k]), b = Tensor(zeros: [n, k]), c = Tensor(zeros: [m, n])
    for i in 0..<a.count { a.pointer[i] = Float(i % 7) * 0.1 }
    for i in 0..<b.count { b.pointer[i] = Float(i % 5) * 0.1 }
    var best = 0.0
    for _ in 0..<5 {
        let start = DispatchTime.now().uptimeNanoseconds
        BLAS.gemm(m: m, n: n, k: k, a: a.pointer, lda: k, b: b.pointer, ldb: k, transB: true, c: c.pointer, ldc: n)
        let s = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        best = max(best, 2 * Double(m) * Double(n) * Double(k) / s / 1e9)
    }
    return best
}

/// This process's memory as the kernel reports it (Linux /proc; 0 elsewhere).
enum ProcessMemory {
    static func resident() -> Int { field("VmRSS:") }
    static func peakResident() -> Int { field("VmHWM:") }

    static func field(_ name: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return kb * 1024
        }
        return 0
    }
}
