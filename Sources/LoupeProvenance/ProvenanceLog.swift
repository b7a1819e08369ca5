import Foundation
import LoupeJSON
import LoupeTensor

/// What a reader needs to reproduce a session's outputs: which Loupe made
/// them, on which CPU and BLAS kernels, from which files (by SHA-256) and
/// with which seeds. The session records loads and seeds as cells run; the
/// kernel attaches the record to each cell's result (docs/reproducibility.md).
package final class ProvenanceLog: @unchecked Sendable {
    /// A file or folder a cell loaded, as the cell named it.
    package struct Load: Equatable, Sendable {
        package let what: String
        package let path: String
    }

    /// A seed a call used, given or by default.
    package struct Seed: Equatable, Sendable {
        package let call: String
        package let label: String
        package let value: Int

        package init(call: String, label: String, value: Int) {
            self.call = call
            self.label = label
            self.value = value
        }
    }

    private var loads: [Load] = []
    private var seeds: [Seed] = []
    private let digests: FileDigests
    private let lock = NSLock()

    package init(digests: FileDigests = FileDigests()) { self.digests = digests }

    /// Notes a load; hashing waits until the record is asked for.
    package func loaded(_ what: String, path: String) {
        let load = Load(what: what, path: path)
        lock.withLock { if !loads.contains(load) { loads.append(load) } }
    }

    package func seeded(_ call: String, label: String, value: Int) {
        let seed = Seed(call: call, label: label, value: value)
        lock.withLock { if !seeds.contains(seed) { seeds.append(seed) } }
    }

    package var recordedLoads: [Load] { lock.withLock { loads } }
    package var recordedSeeds: [Seed] { lock.withLock { seeds } }

    /// The record as JSON (the `loupe.provenance` object in docs/reproducibility.md).
    /// A file that can no longer be read is listed with the reason instead of a digest.
    package func json(version: String, revision: SourceRevision = .current) -> JSON {
        let (loads, seeds) = lock.withLock { (self.loads, self.seeds) }
        var loupe: [String: JSON] = ["version": .string(version), "commit": .string(revision.commit)]
        if let modified = revision.modified { loupe["modified"] = .bool(modified) }
        let files: [JSON] = loads.map { load in
            var entry: [String: JSON] = ["what": .string(load.what), "path": .string(load.path)]
            do { entry["sha256"] = .string(try digests.sha256(of: load.path)) } catch { entry["unreadable"] = .string("\(error)") }
            return .object(entry)
        }
        return [
            "loupe": .object(loupe),
            "machine": Self.machine,
            "files": .array(files),
            "seeds": .array(seeds.map { ["call": .string($0.call), "label": .string($0.label), "value": .int($0.value)] }),
        ]
    }

    /// The CPU and the BLAS kernels that computed: the numbers' last digits
    /// depend on them (docs/reproducibility.md).
    package static var machine: JSON {
        var blas: [String: JSON] = ["library": "OpenBLAS", "core": .string(BLASRuntime.core), "threads": .int(Parallel.threads)]
        if let replaced = BLASRuntime.replacedCore { blas["library_choice"] = .string(replaced) }
        return ["cpu": .string(BLASRuntime.cpuModel), "blas": .object(blas)]
    }
}
