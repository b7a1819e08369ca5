import Foundation
import LoupeJSON
import LoupeNotebook
import Testing

@Suite struct NotebookReadingTests {
    func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "loupe-notebook-\(UUID().uuidString).ipynb"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func notebook(kernel: String, language: String, outputs: String) -> String {
        """
        {"nbformat": 4, "nbformat_minor": 5,
         "metadata": {"kernelspec": {"name": "\(kernel)", "language": "\(language)", "display_name": "K"}},
         "cells": [{"cell_type": "markdown", "id": "m", "metadata": {}, "source": "# Title"},
                   {"cell_type": "code", "id": "c1", "metadata": {}, "execution_count": 1, "source": ["let x = 1\\n", "x"],
                    "outputs": \(outputs)}]}
        """
    }

    func problem(_ path: String) -> NotebookProblem? {
        do { _ = try Notebook.read(path); return nil } catch { return error as? NotebookProblem }
    }

    @Test func aLoupeNotebookWithOutputsIsRead() throws {
        let path = try write(notebook(kernel: "loupe", language: "loupe",
                                      outputs: #"[{"output_type": "execute_result", "data": {"text/plain": "1"}, "metadata": {}, "execution_count": 1}]"#))
        let read = try Notebook.read(path)
        #expect(read.codeCells.count == 1 && read.codeCells[0].index == 1 && read.codeCells[0].id == "c1")
        #expect(read.codeCells[0].source == "let x = 1\nx")
    }

    @Test func anotherKernelsNotebookIsRefusedByName() throws {
        let path = try write(notebook(kernel: "python3", language: "python",
                                      outputs: #"[{"output_type": "stream", "name": "stdout", "text": "1"}]"#))
        #expect(problem(path) == .otherKernel(path: path, kernel: "'python3'"))
        #expect(problem(path)?.description.contains("not Loupe") == true)
    }

    @Test func aNotebookWithoutOutputsIsRefused() throws {
        let path = try write(notebook(kernel: "loupe", language: "loupe", outputs: "[]"))
        #expect(problem(path) == .noOutputs(path: path))
        #expect(problem(path)?.description.contains("never executed") == true)
    }

    @Test func whatIsNotANotebookIsRefused() throws {
        #expect(problem("/nonexistent/x.ipynb") == .unreadable(path: "/nonexistent/x.ipynb", reason: "no such file"))
        let garbage = try write("{not json")
        guard case .notJSON? = problem(garbage) else { Issue.record("\(String(describing: problem(garbage)))"); return }
        let old = try write(#"{"nbformat": 3, "worksheets": []}"#)
        #expect(problem(old) == .notANotebook(path: old, reason: "nbformat is 3"))
        let list = try write("[1, 2]")
        #expect(problem(list) == .notANotebook(path: list, reason: "the top level is not an object"))
    }

    @Test func provenanceIsTheLatestAResultCarries() throws {
        let outputs = """
            [{"output_type": "execute_result", "data": {"text/plain": "1"}, "execution_count": 1,
              "metadata": {"loupe": {"provenance": {"machine": {"cpu": "A"}}}}},
             {"output_type": "execute_result", "data": {"text/plain": "2"}, "execution_count": 1,
              "metadata": {"loupe": {"provenance": {"machine": {"cpu": "B"}}}}}]
            """
        let read = try Notebook.read(try write(notebook(kernel: "loupe", language: "loupe", outputs: outputs)))
        #expect(read.provenance?["machine"]?["cpu"] == "B")
    }
}
