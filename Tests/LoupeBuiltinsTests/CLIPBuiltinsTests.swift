import Foundation
import LoupeBuiltins
import LoupeCLIP
import LoupeDisplay
import LoupeLanguage
import LoupeSafetensors
import LoupeSessionTestSupport
import Testing

@Suite struct CLIPBuiltinsTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/clip").path

    @Test func classifyGivesAProbabilityTableWithHTMLAndJSON() throws {
        let s = Session()
        _ = s.run("let clip = CLIP.load(\"\(Self.fixtures)/hf_tiny_bf16\")\nlet scenes = Dataset.scenes(count: 3, seed: 1)")
        guard case .success(let bundle?, _) = s.run("clip.classify(scenes[0], labels: [\"a red star\", \"water\"])") else {
            Issue.record("classify failed"); return
        }
        #expect(bundle.data["text/html"]?.stringValue?.contains("<table") == true)
        let rows = try #require(bundle.data[LoupeMIME.table]?["rows"]?.arrayValue)
        #expect(rows.count == 2)
        let total = rows.compactMap { $0[1]?.doubleValue }.reduce(0, +)
        #expect(abs(total - 1) < 1e-5)
    }

    @Test func activationsHaveTheRequestedShapeAndShowProgress() {
        let sink = RecordingSink()
        let s = Session(output: sink)
        _ = s.run("let clip = CLIP.load(\"\(Self.fixtures)/openclip_p16_gelu.safetensors\")")
        #expect(result(s, "clip.activations(Dataset.scenes(count: 5), layer: 1, tokens: .spatial).shape") == "[5, 16, 64]")
        #expect(result(s, "clip.activations(Dataset.scenes(count: 2), layer: 0, tokens: .cls).shape") == "[2, 1, 64]")
        let progress = sink.displays.filter { $0.id != nil }
        #expect(progress.first?.update == false)
        #expect(progress.last?.update == true)
        #expect(progress.last?.bundle.plainText.contains("done") == true)
    }

    @Test func badArgumentsAreExplained() {
        let s = Session()
        _ = s.run("let clip = CLIP.load(\"\(Self.fixtures)/openclip_p16_gelu.safetensors\")")
        #expect(failure(s, "clip.activations(Dataset.scenes(count: 1), layer: 7)")?.message
                == "layer 7 does not exist; this model has layers 0...1")
        #expect(failure(s, "clip.activations(Dataset.scenes(count: 1), layer: 0, tokens: .spatail)")?.message
                == "'.spatail' is not a choice for 'tokens:' (did you mean '.spatial'?); choices are .cls, .spatial, .all")
        #expect(failure(s, "CLIP.load(\"/nowhere/model.safetensors\")")?.kind == .io)
    }

    @Test func activationsSaveAsSafetensorsWithMetadata() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("acts-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let s = Session()
        _ = s.run("""
        let clip = CLIP.load("\(Self.fixtures)/openclip_p16_gelu.safetensors")
        let acts = clip.activations(Dataset.scenes(count: 3), layer: 1, tokens: .cls)
        acts.save("\(path)")
        """)
        let file = try SafetensorsFile(path: path)
        #expect(file.metadata["layer"] == "1" && file.metadata["tokens"] == "cls" && file.metadata["site"] == "resid_post")
        let saved = try file.tensor("activations", shape: [3, 1, 64])
        guard case .object(let o)? = s.interpreter.variable("acts"), let acts = o as? ActivationsObject else {
            Issue.record("no activations"); return
        }
        #expect(saved.toArray() == acts.inMemory?.toArray())
    }

    /// `to:` streams to a sharded cache; training from it is training from
    /// memory, a second run skips every shard, and the cache loads back.
    @Test func activationsStreamToACacheOnDiskAndTrainAsFromMemory() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("acts-cache-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sink = RecordingSink()
        let s = Session(output: sink)
        _ = s.run("""
        let clip = CLIP.load("\(Self.fixtures)/openclip_p16_gelu.safetensors")
        let ds = Dataset.scenes(count: 5)
        let mem = clip.activations(ds, layer: 1)
        let disk = clip.activations(ds, layer: 1, to: "\(folder)", shardImages: 2)
        let fromDisk = SAE.train(disk, kind: .topK(k: 4), width: 32, steps: 4)
        let again = SAE.train(Activations.load("\(folder)"), kind: .topK(k: 4), width: 32, steps: 4)
        """)
        #expect(result(s, "disk.shape") == "[5, 17, 64]")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(files == ["index.json", "shard-00000.safetensors", "shard-00001.safetensors", "shard-00002.safetensors"])
        guard case .object(let a as SAEObject)? = s.interpreter.variable("again"),
              case .object(let b as SAEObject)? = s.interpreter.variable("fromDisk") else { Issue.record("no SAEs"); return }
        // Training interleaves the shards in an order fixed by the seed, so
        // the same training from the same cache gives the same SAE.
        #expect(a.sae.wDec == b.sae.wDec)
        // The cache ran the model two images at a time, memory five at a time: the rows agree to rounding.
        let mse = ["mem", "disk"].compactMap { Double(result(s, "fromDisk.metrics(\($0)).column(\"value\")[1]") ?? "") }
        #expect(mse.count == 2 && abs(mse[0] - mse[1]) < 1e-4 * max(1, mse[0]), "\(mse)")
        #expect(result(s, "Activations.load(\"\(folder)\").shape") == "[5, 17, 64]")
        #expect(result(s, "fromDisk.metrics(Activations.load(\"\(folder)\"))") == result(s, "fromDisk.metrics(disk)"))
        _ = s.run("let again = clip.activations(ds, layer: 1, to: \"\(folder)\", shardImages: 2)")
        #expect(sink.displays.last { $0.id != nil }?.bundle.plainText.contains("already complete 3") == true)
        #expect(failure(s, "clip.activations(ds, layer: 0, to: \"\(folder)\", shardImages: 2)")?.message.contains("already holds another activation cache") == true)
        #expect(failure(s, "clip.activations(ds, layer: 1, shardImages: 2)")?.message == "shardImages applies only to a cache on disk; add to: \"folder\"")
        #expect(failure(s, "Activations.load(\"/nowhere/cache\")")?.message == "'/nowhere/cache' does not exist; give a cache folder or a .safetensors file")
    }

    /// Stop during a cache run ends the cell with what is on disk and how to
    /// finish; the session keeps its variables and the same call completes it.
    @Test func stoppingACacheRunKeepsTheSessionAndTheSameCallFinishesIt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("acts-stop-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sink = StopOnFirstProgress()
        let s = Session(output: sink)
        _ = s.run("let clip = CLIP.load(\"\(Self.fixtures)/openclip_p16_gelu.safetensors\")\nlet ds = Dataset.scenes(count: 5)")
        sink.session = s
        let stopped = failure(s, "let disk = clip.activations(ds, layer: 1, to: \"\(folder)\", shardImages: 2)")
        #expect(stopped?.kind == .interrupted)
        #expect(stopped?.message == "stopped with 0 of 3 shards in \(folder); they are kept, and running the same command again writes the rest")
        sink.session = nil
        #expect(result(s, "ds.count") == "5")
        #expect(result(s, "clip.activations(ds, layer: 1, to: \"\(folder)\", shardImages: 2).shape") == "[5, 17, 64]")
    }
}
