import Foundation
import LoupeJSON
import LoupeSAE
import LoupeSafetensors
import XCTest

/// An SAE folder's two files change together: whatever moment a save is
/// killed at, a load gives the old SAE or the new one, never one made of
/// both. The states a kill leaves are built here file by file (the real
/// kills are in Tests/Jupyter/test_kill_safety.py).
final class SAELensPairTests: XCTestCase {
    func sae(_ width: Int, seed: UInt64) throws -> SparseAutoencoder {
        try SparseAutoencoder(dIn: 6, dSAE: width, architecture: TopKArchitecture(k: 2), seed: seed)
    }

    func saved(_ width: Int, seed: UInt64) throws -> String {
        let folder = temporaryFolder("pair-\(width)-\(seed)")
        try sae(width, seed: seed).save(to: folder)
        return folder
    }

    func copy(_ from: String, _ to: String) throws {
        try? FileManager.default.removeItem(atPath: to)
        try FileManager.default.copyItem(atPath: from, toPath: to)
    }

    /// A dead writer's temporary name for cfg.json, as AtomicFile makes them.
    func pendingName(_ folder: String) -> String { folder + "/.cfg.json.tmp-999999999-1" }

    func testSaveRecordsTheWeightsCRC() throws {
        let folder = try saved(8, seed: 1)
        let cfg = try JSON.parse(Array(try XCTUnwrap(FileManager.default.contents(atPath: folder + "/cfg.json"))))
        let weights = try XCTUnwrap(FileManager.default.contents(atPath: folder + "/sae_weights.safetensors"))
        let crc = weights.withUnsafeBytes { CRC32.checksum($0) }
        XCTAssertEqual(cfg["metadata"]?["loupe_weights_crc32"]?.intValue, Int(crc))
        // It describes these weights only, and is not carried into the SAE's metadata.
        XCTAssertNil(try SparseAutoencoder.load(from: folder).metadata.extra["loupe_weights_crc32"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), ["cfg.json", "sae_weights.safetensors"])
    }

    /// Killed between the two renames: new weights, old cfg.json, the new
    /// cfg.json complete under its temporary name. The load reads the new
    /// SAE and writes nothing; the next save completes the pair first.
    func testKillBetweenTheRenamesLoadsTheNewSAE() throws {
        let folder = try saved(8, seed: 1), newer = try saved(16, seed: 2)
        let oldConfig = FileManager.default.contents(atPath: folder + "/cfg.json")
        try copy(newer + "/sae_weights.safetensors", folder + "/sae_weights.safetensors")
        try copy(newer + "/cfg.json", pendingName(folder))
        let back = try SparseAutoencoder.load(from: folder)
        XCTAssertEqual(back.dSAE, 16)
        XCTAssertEqual(back.wDec, try SparseAutoencoder.load(from: newer).wDec)
        XCTAssertEqual(FileManager.default.contents(atPath: folder + "/cfg.json"), oldConfig, "a load wrote cfg.json")
        // The same after a save by a Loupe that recorded no CRC (or by SAELens).
        var cfg = try JSON.parse(Array(try XCTUnwrap(oldConfig)))
        if case .object(var fields) = cfg, case .object(var meta)? = fields["metadata"] {
            meta.removeValue(forKey: "loupe_weights_crc32"); fields["metadata"] = .object(meta); cfg = .object(fields)
        }
        try Data(cfg.pretty().utf8).write(to: URL(fileURLWithPath: folder + "/cfg.json"))
        XCTAssertEqual(try SparseAutoencoder.load(from: folder).dSAE, 16)
        // The next save finishes the interrupted one, then writes its own pair.
        try sae(4, seed: 3).save(to: folder)
        XCTAssertEqual(try SparseAutoencoder.load(from: folder).dSAE, 4)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), ["cfg.json", "sae_weights.safetensors"])
    }

    /// Killed before the first rename: both new files are temporary, the old pair loads.
    func testKillBeforeTheRenamesLoadsTheOldSAE() throws {
        let folder = try saved(8, seed: 1), newer = try saved(16, seed: 2)
        try copy(newer + "/sae_weights.safetensors", folder + "/.sae_weights.safetensors.tmp-999999999-1")
        try copy(newer + "/cfg.json", pendingName(folder))
        XCTAssertEqual(try SparseAutoencoder.load(from: folder).dSAE, 8)
    }

    /// Weights replaced without their cfg.json (and no save to finish) are
    /// refused, even when the widths agree and the shapes would load.
    func testWeightsThatDoNotBelongWithTheirConfigAreRefused() throws {
        let folder = try saved(8, seed: 1), other = try saved(8, seed: 2)
        try copy(other + "/sae_weights.safetensors", folder + "/sae_weights.safetensors")
        XCTAssertThrowsError(try SparseAutoencoder.load(from: folder)) {
            XCTAssertTrue("\($0)".contains(folder) && "\($0)".contains("does not belong with cfg.json"), "\($0)")
        }
        // A stale cfg.json of another save does not stand in either.
        try copy(try saved(8, seed: 3) + "/cfg.json", pendingName(folder))
        XCTAssertThrowsError(try SparseAutoencoder.load(from: folder))
    }
}
