import Foundation
import LoupeCLIP
import LoupeSafetensors
import XCTest

/// Broken checkpoints must be refused with an error naming the file, the
/// tensor when there is one, and what to do about it.
final class CheckpointErrorTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "loupe-clip-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func original() throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("openclip_p16_gelu.safetensors"))))
    }

    /// Splits a safetensors file into its JSON header text and data bytes.
    func parts(_ bytes: [UInt8]) -> (String, [UInt8]) {
        let n = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        return (String(decoding: bytes[8..<(8 + n)], as: UTF8.self), Array(bytes[(8 + n)...]))
    }

    func assemble(_ header: String, _ data: [UInt8]) -> [UInt8] {
        let h = Array(header.utf8)
        var out = withUnsafeBytes(of: UInt64(h.count).littleEndian) { Array($0) }
        out += h + data
        return out
    }

    func expectError(_ bytes: [UInt8], name: String = "broken.safetensors", mentions: [String],
                     file: StaticString = #filePath, line: UInt = #line) {
        let path = (dir as NSString).appendingPathComponent(name)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        XCTAssertThrowsError(try CLIPModel(path: path), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(name), "error does not name the file: \(text)", file: file, line: line)
            for m in mentions { XCTAssertTrue(text.contains(m), "error lacks '\(m)': \(text)", file: file, line: line) }
        }
    }

    func testTruncatedFileIsRefused() throws {
        let bytes = try original()
        expectError(Array(bytes.prefix(bytes.count - 1000)), mentions: ["past the end", "truncated", "Re-download"])
        expectError(Array(bytes.prefix(5)), mentions: ["too short"])
    }

    func testHeaderLengthPastTheEnd() throws {
        var bytes = try original()
        bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { Array($0) })
        expectError(bytes, mentions: ["header claims", "truncated"])
    }

    func testBadJSONHeader() throws {
        let (header, data) = parts(try original())
        expectError(assemble(String(header.dropLast(3)), data), mentions: ["not valid JSON"])
    }

    func testOffsetsOutsideTheData() throws {
        let (header, data) = parts(try original())
        let broken = header.replacingOccurrences(of: "\"data_offsets\":[0,", with: "\"data_offsets\":[99999999,")
        XCTAssertNotEqual(broken, header)
        expectError(assemble(broken, data), mentions: ["data_offsets"])
    }

    func testMissingTensorIsNamed() throws {
        let (header, data) = parts(try original())
        let broken = header.replacingOccurrences(of: "visual.ln_post.weight", with: "visual.ln_post.renamed")
        expectError(assemble(broken, data), mentions: ["visual.ln_post.weight", "missing"])
    }

    func testMisshapenTensorIsNamed() throws {
        let (header, data) = parts(try original())
        // Claim a different (same-sized) shape for one weight.
        guard let range = header.range(of: "\"visual.transformer.resblocks.0.mlp.c_fc.weight\":{\"dtype\":\"F32\",\"shape\":[256,64]") else {
            return XCTFail("fixture header layout changed: \(header.prefix(300))")
        }
        let broken = header.replacingCharacters(in: range, with: "\"visual.transformer.resblocks.0.mlp.c_fc.weight\":{\"dtype\":\"F32\",\"shape\":[64,256]")
        expectError(assemble(broken, data), mentions: ["visual.transformer.resblocks.0.mlp.c_fc.weight", "shape"])
    }

    /// Shapes that pass the file's checks but not the architecture's: an
    /// empty or scalar positional embedding, a zero-width patch embedding,
    /// a zero head width. Each is an error naming the tensor, never a trap
    /// in the arithmetic that follows.
    func testDegenerateShapesAreRefusedBeforeAnyArithmetic() throws {
        func check(_ tensors: [NamedTensor], config: String? = nil, mentions: String, line: UInt = #line) throws {
            let path = (dir as NSString).appendingPathComponent("degenerate.safetensors")
            try SafetensorsWriter.write(tensors, metadata: config.map { ["open_clip_config": $0] } ?? [:], to: path)
            XCTAssertThrowsError(try CLIPModel(path: path), line: line) { error in
                XCTAssertTrue("\(error)".contains("degenerate.safetensors") && "\(error)".contains(mentions), "\(error)", line: line)
            }
        }
        let conv = NamedTensor("visual.conv1.weight", shape: [4, 3, 2, 2], [Float](repeating: 0, count: 48))
        try check([conv, NamedTensor("visual.positional_embedding", shape: [0, 4], [])], mentions: "visual.positional_embedding")
        try check([conv, NamedTensor("visual.positional_embedding", shape: [], [0])], mentions: "visual.positional_embedding")
        try check([NamedTensor("visual.conv1.weight", shape: [0, 3, 2, 2], []),
                   NamedTensor("visual.positional_embedding", shape: [5, 0], [])], mentions: "visual.conv1.weight")
        let pos = NamedTensor("visual.positional_embedding", shape: [5, 4], [Float](repeating: 0, count: 20))
        try check([conv, pos], config: #"{"model_cfg": {"vision_cfg": {"head_width": 0}}}"#, mentions: "head_width")
    }

    func testNotACheckpointAtAll() throws {
        expectError(Array("hello world, this is not a model".utf8), name: "notes.safetensors", mentions: ["header"])
        XCTAssertThrowsError(try CLIPModel(path: dir + "/nothing-here.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("no such file"), "\(error)")
        }
    }

    func testPyTorchPickleIsRecognised() throws {
        expectError([0x50, 0x4B, 3, 4] + [UInt8](repeating: 0, count: 64), name: "model.pt", mentions: ["PyTorch pickle", "safetensors"])
    }

    func testFolderWithoutWeights() throws {
        XCTAssertThrowsError(try CLIPModel(path: dir)) { error in
            XCTAssertTrue("\(error)".contains("model.safetensors"), "\(error)")
        }
    }
}
