import Foundation
import LoupeJSON
import LoupeSites
import LoupeTensor

/// saev's activation cache, protocol 2.1 (its `shards.py` and
/// docs/developers/protocol.md): a folder with `metadata.json`,
/// `shards.json` (each shard's file name and how many examples it holds),
/// `acts000000.bin`, `acts000001.bin`, ... and optionally `labels.bin`.
/// Each shard is a C-ordered float32 array [examples, layers, tokens,
/// d_model]; the token axis is the [CLS] token (when `cls_token`) and then
/// `content_tokens_per_example` patches. saev preallocates every shard for
/// `max_tokens_per_shard // (tokens · layers)` examples; the last is
/// filled only as far as `shards.json` says. `labels.bin` is uint8
/// [examples, patches]: a segmentation label per patch.
///
/// Everything the files declare is checked before anything is read: the
/// protocol and dtype, every size and product (no overflow), each shard's
/// name (a plain `acts%06d.bin` in the folder) and that its file holds the
/// examples `shards.json` gives it, and that the shards add up to `n_examples`.
package struct SaevShards: Sendable {
    package let folder: String
    package let family: String
    package let checkpoint: String
    /// The ViT block indices recorded, in stored order.
    package let layers: [Int]
    package let patches: Int
    package let hasCLS: Bool
    package let width: Int
    package let examples: Int
    /// Each shard's file and the examples it holds, in order.
    package let shards: [(path: String, examples: Int)]
    /// Whether `labels.bin` is there, of the declared size.
    package let hasLabels: Bool

    package var tokensPerExample: Int { patches + (hasCLS ? 1 : 0) }

    /// Whether `folder` looks like saev's shards (both JSON files present).
    package static func recognises(_ folder: String) -> Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: folder + "/metadata.json") && fm.fileExists(atPath: folder + "/shards.json")
    }

    package init(folder: String) throws {
        func fail(_ message: String) -> SAEError { .unusableFile(path: folder, "'\(folder)' \(message)") }
        func json(_ name: String) throws -> JSON {
            let path = folder + "/" + name
            guard let bytes = FileManager.default.contents(atPath: path) else { throw fail("has no readable \(name)") }
            guard bytes.count <= 64 << 20, let value = try? JSON.parse(Array(bytes)) else { throw fail("has a \(name) that is not valid JSON") }
            return value
        }
        let md = try json("metadata.json")
        guard let protocolVersion = md["protocol"]?.stringValue else { throw fail("has a metadata.json without saev's \"protocol\" field") }
        guard protocolVersion == "2.1" else {
            throw fail("is saev's shard protocol \(protocolVersion); Loupe reads protocol 2.1 (write the shards again with a current saev)")
        }
        guard (md["dtype"]?.stringValue ?? "float32") == "float32" else { throw fail("stores \(md["dtype"]?.stringValue ?? "?") activations; protocol 2.1 stores float32") }
        func count(_ key: String, atLeast minimum: Int) throws -> Int {
            guard let value = md[key]?.intValue, value >= minimum, value <= 1 << 40 else {
                throw fail("has metadata.json \(key) \(md[key].map { $0.serialized() } ?? "missing"); it must be a whole number of at least \(minimum)")
            }
            return value
        }
        patches = try count("content_tokens_per_example", atLeast: 1)
        width = try count("d_model", atLeast: 1)
        examples = try count("n_examples", atLeast: 0)
        let maxTokens = try count("max_tokens_per_shard", atLeast: 1)
        guard let cls = md["cls_token"]?.boolValue else { throw fail("has metadata.json without a true or false cls_token") }
        hasCLS = cls
        guard let layerList = md["layers"]?.arrayValue, !layerList.isEmpty, layerList.count <= 1024 else {
            throw fail("has metadata.json layers that are not a list of block indices")
        }
        layers = try layerList.map { item in
            guard let layer = item.intValue, layer >= 0, layer < 1 << 16 else { throw fail("has a layer \(item.serialized()) that is not a block index") }
            return layer
        }
        guard Set(layers).count == layers.count else { throw fail("lists a layer twice in metadata.json") }
        family = md["family"]?.stringValue ?? "unknown"
        checkpoint = md["ckpt"]?.stringValue ?? "unknown"
        self.folder = folder

        // Bytes of one example (all its layers and tokens), and how many examples saev put in a shard.
        let tokens = patches + (cls ? 1 : 0)
        let perExample = [layers.count, tokens, width, 4].reduce(Optional(1)) { total, factor in
            total.flatMap { let (p, o) = $0.multipliedReportingOverflow(by: factor); return o ? nil : p }
        }
        guard let perExample, perExample <= 1 << 34 else { throw fail("declares examples too large to read (\(layers.count) layers × \(tokens) tokens × \(width))") }
        let perShard = maxTokens / (tokens * layers.count)
        guard perShard >= 1 else { throw fail("has max_tokens_per_shard \(maxTokens), less than one example's \(tokens * layers.count) tokens") }

        guard let list = try json("shards.json").arrayValue else { throw fail("has a shards.json that is not a list of shards") }
        var shards: [(String, Int)] = [], total = 0
        for (i, entry) in list.enumerated() {
            let name = entry["name"]?.stringValue ?? ""
            guard name == String(format: "acts%06d.bin", i) else {
                throw fail("lists shard \(i) as '\(name)'; protocol 2.1 names it \(String(format: "acts%06d.bin", i)), in this folder")
            }
            guard let n = entry["n_examples"]?.intValue, n >= 0, n <= perShard else {
                throw fail("gives \(name) \(entry["n_examples"].map { $0.serialized() } ?? "no") examples; a shard holds 0 to \(perShard)")
            }
            let path = folder + "/" + name
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            guard let size else { throw fail("lists \(name), which is missing") }
            // n ≤ perShard and perExample are both bounded, but their product need not fit an Int.
            let (needed, overflow) = n.multipliedReportingOverflow(by: perExample)
            guard !overflow, size >= needed else {
                throw fail("has \(name) of \(size) bytes, too short for its \(n) examples of \(perExample) bytes; the file is cut short")
            }
            shards.append((path, n))
            total += n   // each n ≤ perShard ≤ 2^40, and the sum is stopped at n_examples ≤ 2^40: no overflow
            guard total <= examples else { throw fail("has shards holding more than metadata.json's n_examples \(examples)") }
        }
        guard total == examples else { throw fail("has shards holding \(total) examples, but metadata.json says n_examples \(examples)") }
        self.shards = shards
        let labels = (try? FileManager.default.attributesOfItem(atPath: folder + "/labels.bin")[.size] as? Int) ?? nil
        let (labelBytes, tooMany) = examples.multipliedReportingOverflow(by: patches)
        if let labels, tooMany || labels != labelBytes {
            throw fail("has a labels.bin of \(labels) bytes; \(examples) examples of \(patches) patches need one byte each")
        }
        hasLabels = labels != nil
    }

    /// The metadata an SAE trained on `layer` and `tokens` of these shards records.
    package func metadata(layer: Int, tokens: TokenSelection) -> SAEMetadata {
        SAEMetadata(model: checkpoint, layer: layer, site: ActivationSite.residPost.rawValue, tokens: tokens.rawValue,
                    extra: ["source_format": "saev_shards", "saev_family": .string(family)])
    }

    /// Which stored tokens `tokens` keeps: the [CLS] token, the patches, or both.
    package func tokenRange(_ tokens: TokenSelection) throws -> Range<Int> {
        switch tokens {
        case .cls:
            guard hasCLS else { throw SAEError.unusableFile(path: folder, "'\(folder)' has no [CLS] token (cls_token is false); use tokens: .spatial") }
            return 0..<1
        case .spatial: return (hasCLS ? 1 : 0)..<tokensPerExample
        case .all: return 0..<tokensPerExample
        }
    }
}

/// One layer's rows of saev's shards, streamed with `pread` a block at a
/// time (nothing stays resident), example by example in stored order.
package final class SaevShardsActivationSource: ActivationSource {
    package let shards: SaevShards
    package let layer: Int
    package let tokens: TokenSelection
    package let metadata: SAEMetadata
    private let layerIndex: Int
    private let kept: Range<Int>
    private var shard = 0, example = 0, token = 0
    private var fd: Int32 = -1

    package init(_ shards: SaevShards, layer: Int, tokens: TokenSelection) throws {
        guard let index = shards.layers.firstIndex(of: layer) else {
            throw SAEError.unusableFile(path: shards.folder, "'\(shards.folder)' holds layers \(shards.layers.map(String.init).joined(separator: ", ")), not layer \(layer)")
        }
        self.shards = shards; self.layer = layer; self.tokens = tokens; layerIndex = index
        kept = try shards.tokenRange(tokens)
        metadata = shards.metadata(layer: layer, tokens: tokens)
    }

    deinit { if fd >= 0 { close(fd) } }

    package var width: Int { shards.width }
    package var rowsPerExample: Int { kept.count }
    package var rowCount: Int? { shards.examples * kept.count }

    package func read(into buffer: UnsafeMutablePointer<Float>, maxRows: Int) throws -> Int {
        var written = 0
        let width = shards.width, tokens = shards.tokensPerExample
        while written < maxRows {
            while shard < shards.shards.count && example >= shards.shards[shard].examples {
                shard += 1; example = 0
                if fd >= 0 { close(fd); fd = -1 }
            }
            guard shard < shards.shards.count else { break }
            let path = shards.shards[shard].path
            if fd < 0 {
                fd = open(path, O_RDONLY)
                guard fd >= 0 else { throw SAEError.unusableFile(path: path, "cannot open '\(path)': \(String(cString: strerror(errno)))") }
            }
            // [example, layer, token, channel], C order: this example's layer, its kept tokens from `token` on.
            let rows = min(kept.count - token, maxRows - written)
            let vector = (example * shards.layers.count + layerIndex) * tokens + kept.lowerBound + token
            let bytes = rows * width * 4
            var done = 0
            let target = UnsafeMutableRawPointer(buffer + written * width)
            while done < bytes {
                let n = pread(fd, target + done, bytes - done, off_t(vector * width * 4 + done))
                guard n > 0 else { throw SAEError.unusableFile(path: path, "'\(path)' ended early while reading example \(example)") }
                done += n
            }
            written += rows
            token += rows
            if token == kept.count { token = 0; example += 1 }
        }
        return written
    }

    package func rewind() throws {
        shard = 0; example = 0; token = 0
        if fd >= 0 { close(fd); fd = -1 }
    }
}
