import Foundation
import LoupeJSON

/// A Jupyter notebook (nbformat 4) as `loupe verify` reads it: its code
/// cells with their sources and stored outputs, and the kernel it names.
package struct Notebook {
    package struct Cell {
        /// Position among all cells, from 0, as JupyterLab counts them.
        package let index: Int
        /// nbformat's cell id (4.5 and later), or nil.
        package let id: String?
        package let source: String
        package let outputs: [JSON]

        package init(index: Int, id: String?, source: String, outputs: [JSON]) {
            self.index = index
            self.id = id
            self.source = source
            self.outputs = outputs
        }
    }

    package let path: String
    package let metadata: [String: JSON]
    /// Code cells only; markdown has no outputs.
    package let codeCells: [Cell]

    /// The kernel's name as the notebook records it.
    package var kernelName: String? {
        metadata["kernelspec"]?["name"]?.stringValue ?? metadata["language_info"]?["name"]?.stringValue
    }

    /// Reads a notebook; refuses anything that is not a Loupe notebook with outputs.
    package static func read(_ path: String) throws -> Notebook {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isFolder: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
            throw NotebookProblem.unreadable(path: path, reason: !exists ? "no such file" : isFolder.boolValue ? "it is a folder" : "permission denied")
        }
        let notebook = try parse([UInt8](data), path: path)
        guard notebook.isLoupe else {
            throw NotebookProblem.otherKernel(path: path, kernel: notebook.kernelName.map { "'\($0)'" } ?? "(none named)")
        }
        guard notebook.codeCells.contains(where: { !$0.outputs.isEmpty }) else { throw NotebookProblem.noOutputs(path: path) }
        return notebook
    }

    /// Loupe's kernelspec is "loupe"; a kernelspec of another name with
    /// Loupe's language (a renamed install) counts too.
    var isLoupe: Bool {
        let spec = metadata["kernelspec"]
        if spec?["name"]?.stringValue == "loupe" || spec?["language"]?.stringValue == "loupe" { return true }
        return spec == nil && metadata["language_info"]?["name"]?.stringValue == "loupe"
    }

    static func parse(_ bytes: [UInt8], path: String) throws -> Notebook {
        let json: JSON
        do { json = try JSON.parse(bytes) } catch { throw NotebookProblem.notJSON(path: path, reason: "\(error)") }
        guard let top = json.objectValue else { throw NotebookProblem.notANotebook(path: path, reason: "the top level is not an object") }
        guard let format = top["nbformat"]?.intValue else { throw NotebookProblem.notANotebook(path: path, reason: "no nbformat field") }
        guard format == 4 else { throw NotebookProblem.notANotebook(path: path, reason: "nbformat is \(format)") }
        guard let cells = top["cells"]?.arrayValue else { throw NotebookProblem.notANotebook(path: path, reason: "no cells list") }
        var code: [Cell] = []
        for (index, cell) in cells.enumerated() where cell["cell_type"]?.stringValue == "code" {
            code.append(Cell(index: index, id: cell["id"]?.stringValue, source: joined(cell["source"]),
                             outputs: cell["outputs"]?.arrayValue ?? []))
        }
        return Notebook(path: path, metadata: top["metadata"]?.objectValue ?? [:], codeCells: code)
    }

    /// nbformat stores multi-line text as a string or as a list of lines.
    static func joined(_ text: JSON?) -> String {
        switch text {
        case .string(let s)?: return s
        case .array(let lines)?: return lines.compactMap(\.stringValue).joined()
        default: return ""
        }
    }
}
