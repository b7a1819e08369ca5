import LoupeJSON
import LoupeLanguage
import LoupeNotebook
import Testing

@Suite struct OutputRecorderTests {
    @Test func anUpdatedDisplayKeepsItsPlaceWithItsLastState() {
        let recorder = OutputRecorder()
        recorder.startCell()
        recorder.display(DisplayBundle(text: "0/10"), id: "p", update: false)
        recorder.stream("hello\n", toStandardError: false)
        recorder.display(DisplayBundle(text: "10/10"), id: "p", update: true)
        recorder.result(DisplayBundle(text: "42"))
        #expect(recorder.outputs.map { $0["output_type"]?.stringValue ?? "" } == ["display_data", "stream", "execute_result"])
        #expect(recorder.outputs[0]["data"]?["text/plain"] == "10/10")
    }

    @Test func clearOutputWithWaitClearsAtTheNextOutput() {
        let recorder = OutputRecorder()
        recorder.startCell()
        recorder.stream("old", toStandardError: false)
        recorder.clearOutput(wait: true)
        #expect(recorder.outputs.count == 1)
        recorder.stream("new", toStandardError: true)
        #expect(recorder.outputs.count == 1 && recorder.outputs[0]["name"] == "stderr")
    }
}
