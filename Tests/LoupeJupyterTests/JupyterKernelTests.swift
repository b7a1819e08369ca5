import Foundation
import LoupeJSON
import LoupeJupyter
import LoupeKernel
import LoupeKernelTestSupport
import Testing

/// The kernel as `loupe kernel` builds it (`JupyterKernel.make`), with a real
/// session, over the in-memory transport: a client plays JupyterLab, and
/// every message is matched to its request by id.
final class LoupeKernelHarness {
    let kernel: Kernel
    let client: TestClient

    init() {
        let memory = InMemoryTransport()
        kernel = JupyterKernel.make(transport: memory, key: "k", log: { _ in })
        client = TestClient(InMemoryClientEnd(memory), key: "k")
        kernel.start()
        let kernel = kernel
        Thread { kernel.serveShell() }.start()
    }

    deinit { kernel.stop() }

    /// Runs `code` and returns everything it published, ending with idle.
    func execute(_ code: String) throws -> [Message] {
        let request = try client.send("execute_request", ["code": .string(code), "silent": false, "store_history": true,
                                                         "user_expressions": [:], "allow_stdin": false])
        let outputs = try client.outputs(of: request, timeoutMs: 120_000)
        let reply = try #require(try client.reply(to: request, timeoutMs: 120_000))
        #expect(reply.content["status"] == "ok", "\(code): \(reply.content)")
        return outputs
    }

    /// The text/plain of the cell's result.
    func result(_ code: String) throws -> String? {
        try execute(code).first { $0.type == "execute_result" }?.content["data"]?["text/plain"]?.stringValue
    }

    /// Sends `data` on the comm `id`, as a widget's view does, and returns what it caused.
    func commMessage(_ id: String, _ data: JSON) throws -> [Message] {
        let request = try client.send("comm_msg", ["comm_id": .string(id), "data": data])
        return try client.outputs(of: request, timeoutMs: 120_000)
    }
}

@Suite struct JupyterKernelTests {
    /// The comm_open of the model whose state matches, among `messages`.
    func opened(_ messages: [Message], _ name: String, where match: (JSON) -> Bool = { _ in true }) -> String? {
        messages.first { $0.type == "comm_open" && $0.content["data"]?["state"]?["_model_name"]?.stringValue == name
            && match($0.content["data"]?["state"] ?? .null) }?.content["comm_id"]?.stringValue
    }

    func updates(_ messages: [Message], on id: String, method: String = "update") -> [JSON] {
        messages.filter { $0.type == "comm_msg" && $0.content["comm_id"]?.stringValue == id && $0.content["data"]?["method"]?.stringValue == method }
            .compactMap { $0.content["data"]?["state"] }
    }

    @Test func aSliderMovedInTheFrontEndChangesTheSessionsValue() throws {
        let h = LoupeKernelHarness()
        let made = try h.execute("let w = slider(0, 100, value: 3)\nw")
        let id = try #require(opened(made, "IntSliderModel"))
        let shown = try #require(made.first { $0.type == "execute_result" })
        #expect(shown.content["data"]?["application/vnd.jupyter.widget-view+json"]?["model_id"]?.stringValue == id)

        let moved = try h.commMessage(id, ["method": "update", "state": ["value": 42], "buffer_paths": []])
        #expect(updates(moved, on: id, method: "echo_update") == [["value": 42]])
        #expect(try h.result("w.value") == "42")

        // A value outside the slider is refused: every view is told the one the kernel kept.
        let refused = try h.commMessage(id, ["method": "update", "state": ["value": 1e308], "buffer_paths": []])
        #expect(updates(refused, on: id) == [["value": 42]])
        #expect(try h.result("w.value") == "42")
    }

    @Test func theControlCommReturnsEveryModelsState() throws {
        let h = LoupeKernelHarness()
        let made = try h.execute("dropdown([\"x\", \"y\"])")
        let id = try #require(opened(made, "DropdownModel"))
        let open = try h.client.send("comm_open", ["comm_id": "control-1", "target_name": "jupyter.widget.control", "data": [:]])
        _ = try h.client.outputs(of: open)
        let asked = try h.commMessage("control-1", ["method": "request_states"])
        let states = try #require(asked.first { $0.type == "comm_msg" }?.content["data"]?["states"])
        #expect(states[id]?["state"]?["_options_labels"] == ["x", "y"])
    }

    /// The steer widget, end to end: a clamp slider's tick reaches the session
    /// and its controller, and the table's new HTML comes back on iopub.
    @Test func aClampTickRedrawsTheSteeringTable() throws {
        let h = LoupeKernelHarness()
        _ = try h.execute("""
        let clip = CLIP.load()
        let scenes = Dataset.scenes(count: 48, seed: 7)
        let sae = SAE.train(clip.activations(scenes, layer: 4), kind: .topK(k: 8), width: 256, steps: 40, batch: 512)
        """)
        let made = try h.execute("clip.steer(sae, image: scenes[3], labels: [\"a circle\", \"a square\"], clamp: 0)")
        let clamp = try #require(opened(made, "FloatSliderModel") { $0["description"] == "clamp" })
        let table = try #require(opened(made, "HTMLModel") { $0["value"]?.stringValue?.contains("<table") == true })
        let ticked = try h.commMessage(clamp, ["method": "update", "state": ["value": 120.0], "buffer_paths": []])
        let html = try #require(updates(ticked, on: table).last?["value"]?.stringValue)
        #expect(html.contains("clamped to 120"))
        #expect(ticked.last?.type == "status" && ticked.last?.content["execution_state"] == "idle")
    }
}

@Suite struct ResultProvenanceTests {
    @Test func aResultCarriesTheSessionsProvenanceInItsMetadata() throws {
        let harness = LoupeKernelHarness()
        _ = try harness.execute("let clip = CLIP.load()")
        let outputs = try harness.execute("Dataset.scenes(count: 2, seed: 5)")
        let result = try #require(outputs.first { $0.type == "execute_result" })
        let record = try #require(result.content["metadata"]?["loupe"]?["provenance"])
        #expect(record["seeds"]?.arrayValue?.contains(["call": "Dataset.scenes", "label": "seed", "value": 5]) == true)
        let toy = try #require(record["files"]?.arrayValue?.first)
        #expect(toy["what"] == "CLIP.load" && toy["path"]?.stringValue?.hasSuffix("toy-clip.safetensors") == true)
        #expect(toy["sha256"]?.stringValue?.count == 64)
        #expect(record["loupe"]?["version"]?.stringValue == KernelInfo.version)
        #expect(record["machine"]?["blas"]?["core"]?.stringValue?.isEmpty == false)
    }
}
