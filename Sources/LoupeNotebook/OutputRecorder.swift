import LoupeJSON
import LoupeLanguage

/// Collects one cell's outputs as nbformat stores them after nbclient or
/// JupyterLab ran it: streams, displays (a later update replaces a display
/// in place, as `update_display_data` does), clears, then the result or the
/// error. A fresh run recorded here compares with a saved notebook output
/// for output.
package final class OutputRecorder: OutputSink {
    package private(set) var outputs: [JSON] = []
    /// Which output each live display id fills (nbformat keeps no ids).
    private var displays: [String: Int] = [:]
    private var clearPending = false

    package init() {}

    /// Starts the next cell; display ids of earlier cells are forgotten, as
    /// Loupe never updates a display after its cell has ended.
    package func startCell() {
        outputs = []
        displays = [:]
        clearPending = false
    }

    package func stream(_ text: String, toStandardError: Bool) {
        append(["output_type": "stream", "name": .string(toStandardError ? "stderr" : "stdout"), "text": .string(text)])
    }

    package func display(_ bundle: DisplayBundle, id: String?, update: Bool) {
        if update {
            if let id, let index = displays[id], outputs.indices.contains(index) {
                outputs[index] = Self.bundle("display_data", bundle)
            }
            return
        }
        append(Self.bundle("display_data", bundle))
        if let id { displays[id] = outputs.count - 1 }
    }

    package func clearOutput(wait: Bool) {
        if wait { clearPending = true } else { clear() }
    }

    package func result(_ bundle: DisplayBundle) {
        append(Self.bundle("execute_result", bundle))
    }

    package func error(name: String, value: String, traceback: [String]) {
        append(["output_type": "error", "ename": .string(name), "evalue": .string(value),
                "traceback": .array(traceback.map { .string($0) })])
    }

    private func append(_ output: JSON) {
        if clearPending { clear() }
        outputs.append(output)
    }

    private func clear() {
        outputs = []
        displays = [:]
        clearPending = false
    }

    static func bundle(_ type: String, _ bundle: DisplayBundle) -> JSON {
        ["output_type": .string(type), "data": .object(bundle.data), "metadata": .object(bundle.metadata)]
    }
}
