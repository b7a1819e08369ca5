import ArgumentParser
import Foundation
import LoupeCLIP
import LoupeJSON
import LoupeSAE

/// `loupe bench`: every benchmark, each beside its Python peer where one exists.
public struct BenchCommand: ParsableCommand {
    public init() {}
    public static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks beside the Python tools, on this machine, in the same run.",
        subcommands: [CPUBench.self, CLIPBench.self, PhotosBench.self, SAEBench.self, SteerBench.self, MSBench.self, CacheBench.self])
}

/// Runs a Python peer script and returns the JSON object on its last line.
func runPeer(_ python: String, _ arguments: [String]) throws -> JSON {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0,
          let last = String(decoding: output, as: UTF8.self).split(separator: "\n").last,
          let json = try? JSON.parse(String(last)) else {
        throw ValidationError("the peer \(python) \(arguments.joined(separator: " ")) failed (exit \(process.terminationStatus))")
    }
    return json
}

struct CLIPBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clip", abstract: "Image-tower images/s with every layer captured, beside open_clip or transformers (PyTorch).")

    @Argument(help: "An open_clip .safetensors checkpoint (ViT-B/32-shaped for the reference figures), or a Hugging Face CLIP, DINOv2 or SigLIP folder (run beside transformers).")
    var checkpoint: String
    @Option(help: "Python with torch, open_clip_torch and transformers for the peer.") var peer: String?
    @Option(help: "Images per batch.") var batch = 32
    @Option(help: "Timed batches.") var batches = 3

    func run() throws {
        let loupe = try runCLIPBenchmark(checkpoint: checkpoint, batchSize: batch, batches: batches)
        print("loupe     " + loupe.fields.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
        guard let peer else { return }
        var isFolder: ObjCBool = false
        let folder = FileManager.default.fileExists(atPath: checkpoint, isDirectory: &isFolder) && isFolder.boolValue
        let (script, name) = folder ? ("bench/towers_peer.py", "transformers") : ("bench/clip_peer.py", "open_clip")
        let torch = try runPeer(peer, [script, checkpoint, "--batch", "\(batch)", "--batches", "\(batches)"])
        let rate = torch["images_per_s"]?.doubleValue ?? .nan
        print("\(name) images_per_s=\(String(format: "%.2f", rate)) peak_rss_mib=\(torch["peak_rss_mib"]?.doubleValue ?? .nan) "
              + "(\(torch["implementation"]?.stringValue ?? "?"))")
        print(String(format: "loupe / \(name): %.2fx images per second; memory after load %.2fx the file",
                     loupe.imagesPerSecond / rate, Double(loupe.residentAfterLoad) / Double(loupe.fileSize)))
    }
}

struct SAEBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sae", abstract: "TopK SAE training tokens/s beside SAELens on the CPU.")

    @Option(help: "Python with sae-lens for the peer.") var peer: String?
    @Option(help: "Comma-separated SAE widths.") var widths = "12288,49152"
    @Option(help: "Timed steps per width.") var steps = 3

    func run() throws {
        var options = SAEBenchmarkOptions()
        options.widths = widths.split(separator: ",").compactMap { Int($0) }
        options.steps = steps
        options.peerPython = peer
        let report = try runSAEBenchmark(options) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        print(report.text)
    }
}
