import ArgumentParser
import Foundation
import LoupeJSON
import LoupeBuiltins
import LoupeLanguage

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a .loupe script with the same evaluator as the kernel.")

    @ArgumentParser.Argument(help: "The script to run.")
    var script: String
    @Flag(help: "Write each output's MIME bundle as one JSON line instead of plain text.")
    var json = false

    func run() throws {
        guard let data = FileManager.default.contents(atPath: script) else {
            throw ValidationError("cannot read \(script)")
        }
        let sink = ScriptOutput(json: json)
        let session = Session(output: sink)
        signal(SIGINT) { _ in Interrupt.signalReceived() }
        switch session.run(String(decoding: data, as: UTF8.self), color: false) {
        case .success(let result, let pages):
            sink.flushLiveDisplays()
            for page in pages { sink.display(page, id: nil, update: false) }
            if let result { sink.display(result, id: nil, update: false) }
        case .failure(_, let traceback, _):
            sink.flushLiveDisplays()
            FileHandle.standardError.write(Data((traceback.joined(separator: "\n") + "\n").utf8))
            throw ExitCode.failure
        }
    }
}

/// Prints outputs as text, or as JSON lines `{"type": ..., "data": {...}}`.
final class ScriptOutput: OutputSink {
    let json: Bool
    init(json: Bool) { self.json = json }

    func emit(_ value: JSON) { line(value.serialized()) }

    /// Unbuffered, so text from print and from displays keeps its order.
    func line(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }

    func stream(_ text: String, toStandardError: Bool) {
        if json { emit(["type": "stream", "name": .string(toStandardError ? "stderr" : "stdout"), "text": .string(text)]); return }
        flushLiveDisplays()
        let handle = toStandardError ? FileHandle.standardError : FileHandle.standardOutput
        handle.write(Data(text.utf8))
    }

    /// Live displays (progress) in text mode: only their last state is printed.
    var live: [(id: String, text: String)] = []

    func display(_ bundle: DisplayBundle, id: String?, update: Bool) {
        if json {
            emit(["type": update ? "update_display_data" : "display_data", "data": .object(bundle.data),
                  "metadata": .object(bundle.metadata)])
        } else if let id {
            if let i = live.firstIndex(where: { $0.id == id }) { live[i].text = bundle.plainText }
            else { live.append((id, bundle.plainText)) }
        } else {
            flushLiveDisplays()
            line(bundle.plainText)
        }
    }

    func flushLiveDisplays() {
        for display in live { line(display.text) }
        live.removeAll()
    }

    func clearOutput(wait: Bool) {
        if json { emit(["type": "clear_output"]) }
    }
}
