import Foundation
import LoupeBuiltins
import LoupeProvenance
import LoupeSessionTestSupport
import Testing

@Suite struct ProvenanceRecordingTests {
    @Test func loadsAndSeedsGivenOrDefaultAreRecorded() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-provenance-\(UUID().uuidString)").path
        let s = Session()
        #expect(succeeds(s, """
            let clip = CLIP.load()
            let scenes = Dataset.scenes(count: 8, seed: 12)
            let acts = clip.activations(scenes, layer: 2, tokens: .cls)
            let sae = SAE.train(acts, kind: .topK(k: 4), width: 64, steps: 5, batch: 8)
            sae.save("\(folder)")
            let again = SAE.load("\(folder)")
            """))
        let log = s.provenance
        #expect(log.recordedLoads.map(\.what) == ["CLIP.load", "SAE.load"])
        #expect(log.recordedLoads.last?.path == folder)
        #expect(log.recordedSeeds.contains(.init(call: "Dataset.scenes", label: "seed", value: 12)))
        // SAE.train's seed was not given: its default is what drew the weights.
        #expect(log.recordedSeeds.contains(.init(call: "SAE.train", label: "seed", value: 0)))
        let files = try #require(log.json(version: "test")["files"]?.arrayValue)
        #expect(files.allSatisfy { $0["sha256"]?.stringValue?.count == 64 })
    }
}
