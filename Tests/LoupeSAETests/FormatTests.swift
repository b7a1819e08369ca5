import Foundation
import XCTest
import LoupeJSON
import LoupeSAE
import LoupeSafetensors

final class FormatTests: XCTestCase {
    /// SAEs written by SAELens's own code (dev/make_sae_fixtures.py) encode
    /// and decode here as they do there.
    func testSAELensFixturesEncodeIdentically() throws {
        let expected = try SafetensorsFile(path: fixturesPath() + "/expected.safetensors")
        let x = try expected.floats("x")
        for name in ["saelens_topk", "saelens_standard", "saelens_jumprelu", "sparsify_topk"] {
            let sae = try SparseAutoencoder.load(from: fixturesPath() + "/" + name)
            let codes = try sae.encode(x, width: sae.dIn)
            let acts = codes.dense(), wantActs = try expected.floats(name + ".acts")
            XCTAssertEqual(acts.count, wantActs.count, name)
            var firing = 0
            for i in acts.indices {
                XCTAssertEqual(acts[i], wantActs[i], accuracy: 1e-5 * max(1, abs(wantActs[i])), "\(name) acts[\(i)]")
                if wantActs[i] != 0 { firing += 1 }
            }
            XCTAssertGreaterThan(firing, 0, name)
            let out = sae.decode(codes), wantOut = try expected.floats(name + ".out")
            for i in out.indices { XCTAssertEqual(out[i], wantOut[i], accuracy: 1e-4 * max(1, abs(wantOut[i])), "\(name) out[\(i)]") }
        }
    }

    func testSAELensMetadataAndArchitecturesAreRead() throws {
        let topk = try SparseAutoencoder.load(from: fixturesPath() + "/saelens_topk")
        XCTAssertEqual((topk.architecture as? TopKArchitecture)?.k, 4)
        XCTAssertEqual(topk.metadata.model, "toy-clip")
        XCTAssertTrue(try SparseAutoencoder.load(from: fixturesPath() + "/saelens_jumprelu").architecture is JumpReLUArchitecture)
        XCTAssertTrue(try SparseAutoencoder.load(from: fixturesPath() + "/saelens_standard").architecture is ReLUArchitecture)
    }

    /// Save then load gives the same weights and codes; the files follow
    /// SAELens's key names and shapes; BatchTopK is saved as JumpReLU.
    func testSaveLoadRoundTrip() throws {
        let sae = try SparseAutoencoder(dIn: 6, dSAE: 10, architecture: BatchTopKArchitecture(k: 2), seed: 3,
                                        metadata: SAEMetadata(model: "toy-clip", layer: 4, site: "resid_post", tokens: "spatial"))
        sae.bEnc = randomMatrix(10, seed: 4, scale: 0.1)
        sae.bDec = randomMatrix(6, seed: 5, scale: 0.1)
        for j in 0..<10 { sae.threshold[j] = 0.05 }
        let dir = temporaryFolder("roundtrip")
        try sae.save(to: dir)

        let weights = try SafetensorsFile(path: dir + "/sae_weights.safetensors")
        XCTAssertEqual(try weights.shape("W_enc"), [6, 10])
        XCTAssertEqual(try weights.shape("W_dec"), [10, 6])
        XCTAssertEqual(try weights.shape("threshold"), [10])
        let cfg = try JSON.parse(Array(FileManager.default.contents(atPath: dir + "/cfg.json")!))
        XCTAssertEqual(cfg["architecture"]?.stringValue, "jumprelu")
        XCTAssertEqual(cfg["d_in"]?.intValue, 6)
        XCTAssertEqual(cfg["d_sae"]?.intValue, 10)
        XCTAssertEqual(cfg["metadata"]?["layer"]?.intValue, 4)
        XCTAssertEqual(cfg["metadata"]?["site"]?.stringValue, "resid_post")
        XCTAssertEqual(cfg["metadata"]?["tokens"]?.stringValue, "spatial")
        XCTAssertEqual(cfg["metadata"]?["trained_architecture"]?.stringValue, "batchtopk")
        XCTAssertEqual(cfg["metadata"]?["loupe_format_version"]?.intValue, SAELensFormat.formatVersion)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [], "temporary files left behind")

        let back = try SparseAutoencoder.load(from: dir)
        XCTAssertEqual(back.wEnc, sae.wEnc)
        XCTAssertEqual(back.wDec, sae.wDec)
        XCTAssertEqual(back.bEnc, sae.bEnc)
        XCTAssertEqual(back.threshold, sae.threshold)
        XCTAssertEqual(back.metadata.layer, 4)
        let x = randomMatrix(5 * 6, seed: 8)
        XCTAssertEqual(try back.encode(x, width: 6).dense(), try sae.encode(x, width: 6).dense())
    }

    /// An SAE for a 768-wide layer is refused on a 512-wide one, and the
    /// message says which layer it was trained for and what to do.
    func testWrongWidthIsRefused() throws {
        let dir = temporaryFolder("width")
        let sae = try SparseAutoencoder(dIn: 8, dSAE: 16, architecture: TopKArchitecture(k: 2),
                                        metadata: SAEMetadata(model: "toy-clip", layer: 3, site: "resid_post"))
        try sae.save(to: dir)
        XCTAssertThrowsError(try SparseAutoencoder.load(from: dir, forWidth: 12, layer: 5)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("8-wide"), text)
            XCTAssertTrue(text.contains("12 wide"), text)
            XCTAssertTrue(text.contains("layer 3"), text)
            XCTAssertTrue(text.contains("train"), text)
        }
        XCTAssertNoThrow(try SparseAutoencoder.load(from: dir, forWidth: 8))
        XCTAssertThrowsError(try sae.encode([Float](repeating: 0, count: 24), width: 12))
    }

    func testBadFilesGiveClearErrors() throws {
        let dir = temporaryFolder("bad")
        XCTAssertThrowsError(try SparseAutoencoder.load(from: dir)) { XCTAssertTrue("\($0)".contains("sae_weights.safetensors")) }
        XCTAssertThrowsError(try SparseAutoencoder.load(from: dir + "/missing")) { XCTAssertTrue("\($0)".contains("does not exist")) }
        try Data("{\"architecture\": \"gated\", \"d_in\": 4, \"d_sae\": 8}".utf8).write(to: URL(fileURLWithPath: dir + "/cfg.json"))
        try SafetensorsWriter.write([NamedTensor("b_dec", shape: [4], [0, 0, 0, 0])], to: dir + "/sae_weights.safetensors")
        // SAELens's gated SAE is refused under its name, with the reason; a name no one uses is unknown.
        XCTAssertThrowsError(try SparseAutoencoder.load(from: dir)) { XCTAssertTrue("\($0)".contains("SAELens \"gated\" SAE"), "\($0)") }
        try Data("{\"architecture\": \"bilinear\", \"d_in\": 4, \"d_sae\": 8}".utf8).write(to: URL(fileURLWithPath: dir + "/cfg.json"))
        XCTAssertThrowsError(try SparseAutoencoder.load(from: dir)) { XCTAssertTrue("\($0)".contains("unknown SAE architecture 'bilinear'"), "\($0)") }
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/sae_weights.safetensors"))
        try Data("{\"architecture\": \"topk\", \"d_in\": 4, \"d_sae\": 8, \"k\": 2}".utf8).write(to: URL(fileURLWithPath: dir + "/cfg.json"))
        XCTAssertThrowsError(try SparseAutoencoder.load(from: dir)) { XCTAssertTrue("\($0)".contains("not a safetensors file"), "\($0)") }
    }

    /// An SAE with no input or no latent loaded and showed -nan metrics;
    /// it is refused on load, naming the file.
    func testZeroSizedSAEsAreRefused() throws {
        for (dIn, dSAE) in [(0, 4), (4, 0)] {
            let dir = temporaryFolder("zero-\(dIn)-\(dSAE)")
            func zeros(_ n: Int) -> [Float] { [Float](repeating: 0, count: n) }
            try SafetensorsWriter.write([NamedTensor("encoder.weight", shape: [dSAE, dIn], []), NamedTensor("encoder.bias", shape: [dSAE], zeros(dSAE)),
                                         NamedTensor("W_dec", shape: [dSAE, dIn], []), NamedTensor("b_dec", shape: [dIn], zeros(dIn))],
                                        to: dir + "/sae.safetensors")
            try Data(#"{"k": 0}"#.utf8).write(to: URL(fileURLWithPath: dir + "/cfg.json"))
            XCTAssertThrowsError(try SparseAutoencoder.load(from: dir)) {
                XCTAssertTrue("\($0)".contains(dir) && "\($0)".contains("d_in \(dIn) and d_sae \(dSAE)"), "\($0)")
            }
        }
        XCTAssertThrowsError(try SparseAutoencoder(dIn: 0, dSAE: 1, architecture: ReLUArchitecture(), wEnc: [], bEnc: [0], wDec: [], bDec: []))
    }

    /// Half-precision tensors (as SAELens writes with dtype float16/bfloat16) are widened on load.
    func testHalfPrecisionTensorsAreRead() throws {
        let header = #"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},"c":{"dtype":"I8","shape":[1],"data_offsets":[8,9]}}"#
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) } + Array(header.utf8)
        for h: UInt16 in [0x3C00, 0xC000, 0x3F80, 0x3F00] { bytes += [UInt8(h & 0xFF), UInt8(h >> 8)] }
        bytes.append(7)
        let path = temporaryFolder("half") + "/h.safetensors"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(try file.floats("a"), [1, -2])
        XCTAssertEqual(try file.floats("b"), [1, 0.5])
        XCTAssertThrowsError(try file.floats("c")) { XCTAssertTrue("\($0)".contains("I8"), "\($0)") }
        XCTAssertThrowsError(try file.floats("a", shape: [3])) { XCTAssertTrue("\($0)".contains("[3] was expected"), "\($0)") }
        XCTAssertThrowsError(try file.floats("zz")) { XCTAssertTrue("\($0)".contains("'zz': missing") && "\($0)".contains("a, b, c"), "\($0)") }
    }

    func testSafetensorsRoundTripAndCache() throws {
        let dir = temporaryFolder("cache")
        let x = randomMatrix(7 * 3, seed: 2)
        let source = try MatrixActivationSource(values: x, width: 3, metadata: SAEMetadata(model: "m", layer: 2, site: "resid_post", tokens: "cls"))
        try ActivationCache.write(source, to: dir + "/acts.safetensors")
        let cached = try CachedActivationSource(path: dir + "/acts.safetensors")
        XCTAssertEqual(cached.rowCount, 7)
        XCTAssertEqual(cached.width, 3)
        XCTAssertEqual(cached.metadata.layer, 2)
        XCTAssertEqual(cached.metadata.tokens, "cls")
        var buffer = [Float](repeating: 0, count: 21)
        let n = try buffer.withUnsafeMutableBufferPointer { try cached.read(into: $0.baseAddress!, maxRows: 10) }
        XCTAssertEqual(n, 7)
        XCTAssertEqual(buffer, x)
    }
}
