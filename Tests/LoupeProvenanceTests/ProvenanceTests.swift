import Foundation
import LoupeJSON
import LoupeProvenance
import Testing

@Suite struct ProvenanceTests {
    func folder() throws -> String {
        let path = NSTemporaryDirectory() + "loupe-provenance-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path + "/sub", withIntermediateDirectories: true)
        return path
    }

    @Test func sha256IsTheStandardDigest() throws {
        #expect(try SHA256.hex(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let dir = try folder()
        try "abc".write(toFile: dir + "/a.txt", atomically: true, encoding: .utf8)
        #expect(try SHA256.hex(ofFile: dir + "/a.txt") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func aFoldersDigestIsItsManifestAndFollowsItsFiles() throws {
        let dir = try folder()
        try "abc".write(toFile: dir + "/a.txt", atomically: true, encoding: .utf8)
        try "def".write(toFile: dir + "/sub/b.txt", atomically: true, encoding: .utf8)
        try "temporary".write(toFile: dir + "/.b.txt.tmp-1", atomically: true, encoding: .utf8)
        let digests = FileDigests()
        let manifest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  a.txt\n"
            + "\(try SHA256.hex(of: Array("def".utf8)))  sub/b.txt\n"
        #expect(try digests.sha256(of: dir) == (try SHA256.hex(of: Array(manifest.utf8))))
        let before = try digests.sha256(of: dir)
        try "changed".write(toFile: dir + "/c.txt", atomically: true, encoding: .utf8)
        #expect(try digests.sha256(of: dir) != before)
    }

    @Test func theRecordNamesLoadsSeedsAndTheMachine() throws {
        let dir = try folder()
        try "weights".write(toFile: dir + "/model.safetensors", atomically: true, encoding: .utf8)
        let log = ProvenanceLog()
        log.loaded("CLIP.load", path: dir + "/model.safetensors")
        log.loaded("CLIP.load", path: dir + "/model.safetensors")
        log.loaded("SAE.load", path: dir + "/missing")
        log.seeded("Dataset.scenes", label: "seed", value: 7)
        let record = log.json(version: "9.9", revision: SourceRevision(commit: "abc", modified: false))
        #expect(record["loupe"] == ["version": "9.9", "commit": "abc", "modified": false])
        let files = try #require(record["files"]?.arrayValue)
        #expect(files.count == 2)
        #expect(files[0]["sha256"]?.stringValue == (try SHA256.hex(of: Array("weights".utf8))))
        #expect(files[1]["unreadable"]?.stringValue?.contains("no such file") == true)
        #expect(record["seeds"] == [["call": "Dataset.scenes", "label": "seed", "value": 7]])
        #expect(record["machine"]?["blas"]?["core"]?.stringValue?.isEmpty == false)
        #expect(record["machine"]?["blas"]?["threads"]?.intValue ?? 0 >= 1)
        #expect(record["machine"]?["cpu"]?.stringValue?.isEmpty == false)
    }

    @Test func aFolderOutsideGitHasNoKnownCommit() throws {
        #expect(SourceRevision.read(checkout: try folder()) == .unknown)
        // This test runs from the checkout it was built from.
        #expect(SourceRevision.current.commit.count == 40 || SourceRevision.current == .unknown)
    }
}
