import Foundation
import LoupeJSON
import LoupeSAE
import LoupeTensor

/// Settings of the SAE training benchmark: TopK training throughput at
/// CLIP ViT-B widths, optionally beside SAELens on the same machine.
struct SAEBenchmarkOptions: Sendable {
    var dIn = 768
    var widths = [12_288, 49_152]
    var k = 32
    var batchSize = 4096
    /// Timed steps per width, after `warmupSteps` untimed ones.
    var steps = 3
    var warmupSteps = 1
    /// Python with SAELens installed (e.g. dev/.venv-sae/bin/python); nil skips the peer.
    var peerPython: String? = nil
    var peerScript = "bench/sae_peer.py"
    init() {}
}

struct SAEBenchmarkReport: Sendable {
    struct Row: Sendable {
        var width: Int
        var loupeTokensPerSecond: Double
        var peerTokensPerSecond: Double?
        var speedup: Double? { peerTokensPerSecond.map { loupeTokensPerSecond / $0 } }
        /// Mean seconds per timed step, phase by phase.
        var profile: [(phase: StepProfile.Phase, seconds: Double)] = []
        /// The encoder product's floating-point work, and its time at the measured peak.
        var encoderGFLOP = 0.0, encoderFloorSeconds: Double? = nil
        /// The best of five sgemm calls of the encoder's shape alone (same operands layout, no bias), GFLOP/s.
        var sgemmGFLOPS = 0.0
    }
    var options: SAEBenchmarkOptions
    var rows: [Row]
    var machine: String
    var peerVersion: String?
    var peakGFLOPS: Double? = nil

    var text: String {
        var lines = ["SAE training, TopK k=\(options.k), d_in \(options.dIn), batch \(options.batchSize), "
                     + "\(options.steps) timed steps · \(machine)"]
        lines.append("width      Loupe tok/s   SAELens tok/s   speed-up")
        for r in rows {
            let peer = r.peerTokensPerSecond.map { String(format: "%13.0f", $0) } ?? "            –"
            let up = r.speedup.map { String(format: "%9.2fx", $0) } ?? "         –"
            lines.append(String(format: "%-8d %13.0f", r.width, r.loupeTokensPerSecond) + "   " + peer + "  " + up)
        }
        if let v = peerVersion { lines.append("peer: \(v)") }
        if let peak = peakGFLOPS { lines.append("fp32 peak measured here: " + String(format: "%.0f", peak) + " GFLOP/s (one core's FMA rate × the cores Loupe splits products over)") }
        for r in rows where !r.profile.isEmpty {
            let total = r.profile.reduce(0) { $0 + $1.seconds }
            lines.append("")
            lines.append("Where a step's time goes at width \(r.width) (mean of the timed steps):")
            lines.append("phase                                              ms/step    share")
            for (phase, s) in r.profile {
                lines.append(phase.rawValue.padding(toLength: 48, withPad: " ", startingAt: 0)
                             + String(format: "%11.1f %7.1f%%", s * 1000, 100 * s / total))
            }
            lines.append("total".padding(toLength: 48, withPad: " ", startingAt: 0) + String(format: "%11.1f", total * 1000))
            if let floor = r.encoderFloorSeconds {
                let encoder = r.profile.first { $0.phase == .encoder }?.seconds ?? 0
                lines.append(String(format: "encoder product: %.1f GFLOP, %.0f ms at the measured peak (%.0f%% of peak reached); "
                                    + "a step that did only it at peak would run %.1fx faster than this one",
                                    r.encoderGFLOP, floor * 1000, encoder > 0 ? 100 * floor / encoder : 0, total / floor))
                lines.append(String(format: "the same sgemm alone, best of five: %.0f GFLOP/s, %.0f ms (what OpenBLAS reaches on this shape here)",
                                    r.sgemmGFLOPS, r.encoderGFLOP / max(r.sgemmGFLOPS, 1e-9) * 1000))
            }
        }
        return lines.joined(separator: "\n")
    }

    var json: JSON {
        ["d_in": .int(options.dIn), "k": .int(options.k), "batch": .int(options.batchSize), "steps": .int(options.steps),
         "machine": .string(machine), "peer": peerVersion.map { .string($0) } ?? .null,
         "rows": .array(rows.map { r in
             ["width": .int(r.width), "loupe_tokens_per_second": .double(r.loupeTokensPerSecond),
              "saelens_tokens_per_second": r.peerTokensPerSecond.map { .double($0) } ?? .null,
              "speedup": r.speedup.map { .double($0) } ?? .null]
         })]
    }
}

/// Measures Loupe's TopK training throughput (the full trainer loop: batch
/// from the shuffle buffer, step, Adam, decoder normalisation, dead-latent
/// tracking) and, when a Python is given, SAELens's through bench/sae_peer.py
/// in the same run. The two alternate width by width, so both see the same
/// machine load.
func runSAEBenchmark(_ options: SAEBenchmarkOptions = SAEBenchmarkOptions(),
                            log: @escaping (String) -> Void = { _ in }) throws -> SAEBenchmarkReport {
    var rows: [SAEBenchmarkReport.Row] = []
    var rng = SeededRandom(seed: 1)
    let data = (0..<(2 * options.batchSize * options.dIn)).map { _ in Float(rng.nextNormal()) }
    let source = try MatrixActivationSource(values: data, width: options.dIn)
    var peerVersion: String? = nil
    // The encoder product's floor: one core's measured FMA rate times the cores Loupe splits it over.
    let peakGFLOPS = CPUThroughput.coreGFLOPS(.fp32FMA).map { $0 * Double(Parallel.threads) }
    for width in options.widths {
        var o = SAETrainingOptions(architecture: TopKArchitecture(k: options.k), width: width,
                                   steps: options.warmupSteps + options.steps)
        o.batchSize = options.batchSize
        o.initSampleRows = 256
        o.bufferBatches = 2
        let profile = StepProfile()
        o.profile = profile
        var marks: [Date] = []
        _ = try SAETrainer.train(source: source, options: o, progress: { p in
            marks.append(Date())
            log("Loupe width \(width): step \(p.step)/\(p.totalSteps), \(Int(p.tokensPerSecond)) tokens/s")
        })
        // From the end of the last warm-up step to the end of the run.
        let first = options.warmupSteps > 0 ? marks[options.warmupSteps - 1] : marks[0]
        let timed = options.warmupSteps > 0 ? options.steps : options.steps - 1
        let seconds = marks.last!.timeIntervalSince(first)
        var row = SAEBenchmarkReport.Row(width: width, loupeTokensPerSecond: Double(timed * options.batchSize) / seconds,
                                         peerTokensPerSecond: nil)
        row.profile = profile.mean(lastSteps: options.steps)
        row.encoderGFLOP = 2 * Double(options.batchSize) * Double(options.dIn) * Double(width) / 1e9
        if let peak = peakGFLOPS { row.encoderFloorSeconds = row.encoderGFLOP / peak }
        row.sgemmGFLOPS = sgemmRate(m: options.batchSize, n: width, k: options.dIn)
        if let python = options.peerPython {
            log("SAELens width \(width) (\(options.peerScript))...")
            let result = try runPeer(python, [options.peerScript, "--d-in", "\(options.dIn)", "--k", "\(options.k)",
                                              "--batch", "\(options.batchSize)", "--steps", "\(options.steps)",
                                              "--warmup", "\(options.warmupSteps)", "--widths", "\(width)"])
            peerVersion = "sae_lens \(result["version"]?.stringValue ?? "?"), torch \(result["torch"]?.stringValue ?? "?"), "
                + "\(result["threads"]?.intValue ?? 0) threads"
            row.peerTokensPerSecond = result["results"]?[0]?["tokens_per_second"]?.doubleValue
        }
        rows.append(row)
    }
    let machine = BLASRuntime.description
    return SAEBenchmarkReport(options: options, rows: rows, machine: machine, peerVersion: peerVersion, peakGFLOPS: peakGFLOPS)
}
