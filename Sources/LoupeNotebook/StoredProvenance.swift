import LoupeJSON

extension Notebook {
    /// The provenance the notebook carries: `metadata.loupe.provenance` when
    /// a tool lifted it there, else the latest a cell's result recorded (the
    /// kernel attaches the session's record so far to every result, so the
    /// last one holds every file and seed before it).
    package var provenance: JSON? {
        if let lifted = metadata["loupe"]?["provenance"] { return lifted }
        for cell in codeCells.reversed() {
            for output in cell.outputs.reversed() {
                if let record = output["metadata"]?["loupe"]?["provenance"] { return record }
            }
        }
        return nil
    }
}

/// The differences between how a notebook was made and how it is run now,
/// in words: another commit, CPU, BLAS core or thread count explains drift;
/// another file digest means other inputs.
package enum ProvenanceComparison {
    package static func differences(stored: JSON, now: JSON) -> [String] {
        var lines: [String] = []
        func note(_ what: String, _ a: JSON?, _ b: JSON?) {
            let x = a.map(text) ?? "not recorded", y = b.map(text) ?? "not recorded"
            if x != y { lines.append("\(what): \(x) stored, \(y) now") }
        }
        note("Loupe version", stored["loupe"]?["version"], now["loupe"]?["version"])
        note("Loupe commit", stored["loupe"]?["commit"], now["loupe"]?["commit"])
        note("CPU", stored["machine"]?["cpu"], now["machine"]?["cpu"])
        note("OpenBLAS core", stored["machine"]?["blas"]?["core"], now["machine"]?["blas"]?["core"])
        note("threads", stored["machine"]?["blas"]?["threads"], now["machine"]?["blas"]?["threads"])
        let storedFiles = files(stored), nowFiles = files(now)
        for (path, digest) in nowFiles.sorted(by: { $0.key < $1.key }) {
            if let old = storedFiles[path], old != digest { lines.append("\(path): SHA-256 \(digest.prefix(12))… now, \(old.prefix(12))… stored") }
        }
        return lines
    }

    static func files(_ record: JSON) -> [String: String] {
        var found: [String: String] = [:]
        for entry in record["files"]?.arrayValue ?? [] {
            if let path = entry["path"]?.stringValue, let digest = entry["sha256"]?.stringValue { found[path] = digest }
        }
        return found
    }

    static func text(_ value: JSON) -> String { value.stringValue ?? value.serialized() }
}
