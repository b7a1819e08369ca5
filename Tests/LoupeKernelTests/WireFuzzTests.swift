import Foundation
import LoupeJSON
import LoupeKernel
import LoupeTestSupport
import Testing

/// A seeded mutation fuzzer over the wire decoder: frames with mutated JSON
/// (most re-signed, so parsing is reached past the signature check), frames
/// dropped or doubled. Every input decodes or is refused with an error.
@Suite struct WireFuzzTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fuzz/corpus/wire").standardizedFileURL
    static let names = ["header", "parent_header", "metadata", "content"]

    @Test func mutatedMessagesAreDecodedOrRefusedNeverCrash() throws {
        let messages = try Mutator.corpus(at: WireFuzzTests.corpus).map { try JSON.parse($0) }
        #expect(messages.count >= 3)
        let parts = messages.map { m in WireFuzzTests.names.map { (m[$0] ?? [:]).serializedBytes() } }
        var mutator = Mutator(seed: 7, corpus: parts.flatMap { $0 },
                              dictionary: ["{", "}", "[", "]", "\"", ":", ",", "\\u", "\\ud800", "null", "1e999", "-", "\u{0}"])
        let codec = WireCodec(signer: Signer(key: "fuzz-key"))
        let budget = Mutator.budget(standard: 8)
        let started = Date()
        var runs = 0, decoded = 0
        while Date().timeIntervalSince(started) < budget {
            var frames = parts[mutator.below(parts.count)]
            mutator.mutate(&frames[mutator.below(4)])
            let signature = mutator.below(10) < 8 ? Array(codec.signer.signature(frames).utf8) : Array("00ff".utf8)
            var wire = [Array("id".utf8), WireCodec.delimiter, signature] + frames
            switch mutator.below(6) {
            case 0: wire.remove(at: mutator.below(wire.count))
            case 1: wire.append(Array(repeating: 0xff, count: mutator.below(64)))
            default: break
            }
            if let message = try? codec.decode(wire) {
                decoded += 1
                _ = message.type
                _ = codec.encode(message)
            }
            runs += 1
        }
        print("fuzz wire: \(runs) messages in \(Int(Date().timeIntervalSince(started))) s, \(decoded) decoded")
        #expect(runs >= 1000 && decoded > 0)
    }
}
