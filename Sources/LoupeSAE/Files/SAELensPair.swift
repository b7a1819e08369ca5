import Foundation
import LoupeFiles
import LoupeJSON
import LoupeSafetensors

/// SAELens keeps an SAE in two files, `sae_weights.safetensors` and
/// `cfg.json`, and no rename moves two files at once. So Loupe's save
/// records the weights' CRC-32 in cfg.json (`metadata.loupe_weights_crc32`),
/// writes and flushes both files under temporary names, then renames the
/// weights and cfg.json in turn. A kill between the two renames leaves the
/// new weights beside the old cfg.json, with the new cfg.json complete
/// under its temporary name: a load finds the cfg.json whose CRC matches
/// the weights and reads the new SAE (reading writes nothing); the next
/// save finishes the rename before it starts. Weights that match no
/// cfg.json (one file replaced alone) are an error, never an SAE made of
/// two saves.
enum SAELensPair {
    static let crcKey = "loupe_weights_crc32"

    /// The cfg.json that belongs with `weights` (the weights file as
    /// mapped, so the CRC is of the very bytes the SAE is read from), and
    /// where it is.
    static func config(in folder: String, weights: SafetensorsFile) throws -> (path: String, json: JSON) {
        let cfgPath = folder + "/" + SAELensFormat.configFile
        var current: JSON?
        if let bytes = FileManager.default.contents(atPath: cfgPath) {
            do { current = try JSON.parse(Array(bytes)) } catch { throw SAEError.unreadableSAE(path: cfgPath, "'\(cfgPath)' is not valid JSON: \(error)") }
        }
        let recorded = current.flatMap(recordedCRC)
        let pending = pendingConfigs(in: folder)
        if recorded == nil, pending.isEmpty {
            // Written by SAELens or an older Loupe: nothing to check the weights against.
            guard let current else { throw noConfig(folder) }
            return (cfgPath, current)
        }
        let crc = CRC32.checksum(UnsafeRawBufferPointer(start: weights.file.base, count: weights.file.size))
        if let recorded, recorded == crc { return (cfgPath, current!) }
        // A save killed between its two renames: its cfg.json is complete beside the new weights.
        for candidate in pending {
            guard let bytes = FileManager.default.contents(atPath: candidate), let json = try? JSON.parse(Array(bytes)),
                  recordedCRC(json) == crc else { continue }
            return (candidate, json)
        }
        guard let current else { throw noConfig(folder) }
        guard let recorded else { return (cfgPath, current) }
        throw SAEError.unreadableSAE(path: folder, "'\(folder)': \(SAELensFormat.weightsFile) does not belong with \(SAELensFormat.configFile) "
            + String(format: "(its CRC-32 is %08x, cfg.json records %08x)", crc, recorded)
            + ": one file was replaced without the other, or a save was cut short; save the SAE again")
    }

    /// Finishes a save that was killed between its two renames, so that a
    /// new save may clear the old temporary files.
    static func completeInterruptedSave(in folder: String) {
        let weightsPath = folder + "/" + SAELensFormat.weightsFile, cfgPath = folder + "/" + SAELensFormat.configFile
        guard !pendingConfigs(in: folder).isEmpty, FileManager.default.fileExists(atPath: weightsPath), let weights = try? SafetensorsFile(path: weightsPath),
              let (path, _) = try? config(in: folder, weights: weights), path != cfgPath else { return }
        _ = rename(path, cfgPath)
    }

    static func recordedCRC(_ cfg: JSON) -> UInt32? {
        guard let v = cfg["metadata"]?[crcKey]?.intValue, let crc = UInt32(exactly: v) else { return nil }
        return crc
    }

    /// cfg.json's temporary files in `folder`, newest first.
    static func pendingConfigs(in folder: String) -> [String] {
        let prefix = AtomicFile.temporaryPrefix(of: SAELensFormat.configFile)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix(prefix) }
        func modified(_ name: String) -> Date {
            ((try? FileManager.default.attributesOfItem(atPath: folder + "/" + name))?[.modificationDate] as? Date) ?? .distantPast
        }
        return names.map { (name: $0, date: modified($0)) }.sorted { $0.date > $1.date }.map { folder + "/" + $0.name }
    }

    static func noConfig(_ folder: String) -> SAEError {
        .unreadableSAE(path: folder, "no \(SAELensFormat.configFile) in '\(folder)'; an SAE folder holds \(SAELensFormat.configFile) and \(SAELensFormat.weightsFile)")
    }
}
