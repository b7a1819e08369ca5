import LoupeLanguage
import LoupeProvenance

/// How builtins tell the session's provenance what they loaded and which
/// seeds they drew with, so an executed notebook names its files by SHA-256
/// and its seeds (docs/reproducibility.md).
extension CallContext {
    /// `CLIP.load`, `Dataset.scenes`: the call as a notebook spells it.
    var callName: String { function.owner.map { "\($0).\(function.name)" } ?? function.name }

    /// Reads a seed argument (given or its default) and notes it.
    func seed(_ key: String = "seed") throws -> Int {
        let value = try int(key)
        interpreter.service(ProvenanceLog.self)?.seeded(callName, label: key, value: value)
        return value
    }

    /// Notes that this call read the file or folder at `path`.
    func noteLoad(_ path: String) {
        interpreter.service(ProvenanceLog.self)?.loaded(callName, path: path)
    }
}
