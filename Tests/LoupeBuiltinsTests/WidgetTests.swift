import Foundation
import LoupeBuiltins
import LoupeJSON
import LoupeLanguage
import LoupeSessionTestSupport
import Testing

/// A front end in memory: records what the session opens and sends on comms
/// and lets a test play the browser's side.
final class FakeFrontEnd: CommHost {
    final class Endpoint: CommEndpoint {
        let id: String, target: String, data: JSON, metadata: JSON, buffers: [[UInt8]]
        var sent: [(data: JSON, buffers: [[UInt8]])] = []
        var receive: (JSON, [[UInt8]]) -> Void = { _, _ in }
        var closed = false
        init(id: String, target: String, data: JSON, metadata: JSON, buffers: [[UInt8]]) {
            self.id = id; self.target = target; self.data = data; self.metadata = metadata; self.buffers = buffers
        }
        func send(_ data: JSON, buffers: [[UInt8]]) { sent.append((data, buffers)) }
        func close() { closed = true }
        var state: JSON { data["state"] ?? [:] }
    }

    var opened: [Endpoint] = []
    var targets: [String: (CommEndpoint, JSON, [[UInt8]]) -> ((JSON, [[UInt8]]) -> Void)] = [:]

    func open(target: String, data: JSON, metadata: JSON, buffers: [[UInt8]],
              receive: @escaping (JSON, [[UInt8]]) -> Void) -> CommEndpoint {
        let e = Endpoint(id: "m\(opened.count)", target: target, data: data, metadata: metadata, buffers: buffers)
        e.receive = receive
        opened.append(e)
        return e
    }

    func register(target: String, opened: @escaping (CommEndpoint, JSON, [[UInt8]]) -> ((JSON, [[UInt8]]) -> Void)) {
        targets[target] = opened
    }

    func model(_ name: String, where match: (JSON) -> Bool = { _ in true }) -> Endpoint? {
        opened.first { $0.state["_model_name"]?.stringValue == name && match($0.state) }
    }

    /// The browser moves a control.
    func update(_ endpoint: Endpoint, _ state: JSON) { endpoint.receive(["method": "update", "state": state, "buffer_paths": []], []) }

    /// The last value of `key` sent for `endpoint` (or its opening state).
    func latest(_ endpoint: Endpoint, _ key: String) -> JSON? {
        endpoint.sent.reversed().compactMap { $0.data["method"] == "update" ? $0.data["state"]?[key] : nil }.first ?? endpoint.state[key]
    }

    func latestBuffer(_ endpoint: Endpoint, _ key: String) -> [UInt8]? {
        for message in endpoint.sent.reversed() where message.data["method"] == "update" {
            if let i = message.data["buffer_paths"]?.arrayValue?.firstIndex(of: [.string(key)]) { return message.buffers[i] }
        }
        return nil
    }
}

@Suite struct WidgetTests {
    func session() -> (Session, FakeFrontEnd) {
        let front = FakeFrontEnd(), s = Session(comms: front)
        return (s, front)
    }

    @Test func aSliderOpensItsModelWithTheProtocolVersionAndALayout() throws {
        let (s, front) = session()
        let shown = try #require(s.run("slider(0, 10, value: 4, label: \"k\")").displayed)
        let model = try #require(front.model("IntSliderModel"))
        #expect(model.target == "jupyter.widget")
        #expect(model.metadata["version"] == "2.1.0")
        #expect(model.state["_model_module"] == "@jupyter-widgets/controls" && model.state["_model_module_version"] == "2.0.0")
        #expect(model.state["value"] == 4 && model.state["max"] == 10 && model.state["description"] == "k")
        let layout = try #require(model.state["layout"]?.stringValue)
        #expect(front.opened.contains { "IPY_MODEL_" + $0.id == layout && $0.state["_model_name"] == "LayoutModel" })
        #expect(shown.data["application/vnd.jupyter.widget-view+json"] == ["version_major": 2, "version_minor": 0, "model_id": .string(model.id)])
        #expect(shown.plainText == "k: 4")
        #expect(result(s, "slider(0.0, 1.0).value") == "0.0")
    }

    /// The browser's update is applied, echoed, and re-runs interact, whose
    /// output area then holds the new result; request_state gets it all back.
    @Test func interactRerunsWhenAControlMoves() throws {
        let (s, front) = session()
        _ = s.run("let k = slider(1, 10, label: \"k\")\nlet shape = dropdown([\"star\", \"heart\"])\nlet w = interact([k, shape]) { k, shape in \"\\(shape) x\\(k * 2)\" }")
        let output = try #require(front.model("OutputModel"))
        #expect(output.state["outputs"]?[0]?["data"]?["text/plain"] == "\"star x2\"")
        let slider = try #require(front.model("IntSliderModel"))
        front.update(slider, ["value": 6])
        #expect(slider.sent.last?.data == ["method": "echo_update", "state": ["value": 6], "buffer_paths": []])
        #expect(front.latest(output, "outputs")?[0]?["data"]?["text/plain"] == "\"star x12\"")
        front.update(try #require(front.model("DropdownModel")), ["index": 1])
        #expect(front.latest(output, "outputs")?[0]?["data"]?["text/plain"] == "\"heart x12\"")
        #expect(result(s, "k.value") == "6")
        slider.receive(["method": "request_state"], [])
        #expect(slider.sent.last?.data["state"]?["value"] == 6 && slider.sent.last?.data["state"]?["_model_name"] == "IntSliderModel")
        // An error in the closure shows in the output area; the widget keeps working.
        _ = s.run("let bad = interact(slider(0, 3)) { v in [1, 2][v] }")
        let badOutput = try #require(front.opened.last { $0.state["_model_name"] == "OutputModel" })
        front.update(try #require(front.opened.last { $0.state["_model_name"] == "IntSliderModel" }), ["value": 3])
        #expect(front.latest(badOutput, "outputs")?[0]?["name"] == "stderr")
    }

    /// A reopened notebook asks for every model on the control comm.
    @Test func theControlCommReturnsEveryModelsState() throws {
        let (s, front) = session()
        _ = s.run("let k = slider(1, 10)")
        let opened = try #require(front.targets["jupyter.widget.control"])
        let control = FakeFrontEnd.Endpoint(id: "c", target: "jupyter.widget.control", data: [:], metadata: [:], buffers: [])
        let receive = opened(control, [:], [])
        receive(["method": "request_states"], [])
        let states = try #require(control.sent.last?.data["states"]?.objectValue)
        #expect(control.sent.last?.data["method"] == "update_states")
        #expect(states.count == front.opened.count)
        let slider = try #require(front.model("IntSliderModel"))
        #expect(states[slider.id]?["state"]?["value"] == 1 && states[slider.id]?["model_name"] == "IntSliderModel")
    }

    @Test func badControlsAreRefusedAndTheSessionCarriesOn() {
        let (s, _) = session()
        #expect(failure(s, "slider(5, 1)")?.message == "max (1.0) must be above min (5.0)")
        #expect(failure(s, "dropdown([])")?.message == "give at least one option")
        #expect(failure(s, "dropdown([\"a\"], value: \"b\")")?.message == "'b' is not one of the options")
        #expect(failure(s, "interact(3) { x in x }")?.kind == .type)
        #expect(result(s, "1 + 1") == "2")
    }

    /// Without a front end (loupe run, nbconvert's readers) a widget shows its fallback.
    @Test func withoutAFrontEndWidgetsShowTheirFallback() {
        let s = Session()
        #expect(result(s, "interact(slider(1, 4, value: 2)) { v in v * 10 }") == "20")
    }
}

/// The two composed widgets on the toy model, driven as a browser would.
@Suite(.serialized) struct SteerAndExploreWidgetTests {
    static let setup = """
    let clip = CLIP.load()
    let scenes = Dataset.scenes(count: 48, seed: 7)
    let sae = SAE.train(clip.activations(scenes, layer: 4), kind: .topK(k: 8), width: 256, steps: 40, batch: 512)
    """

    @Test func movingTheClampChangesTheTableAndAnotherLatentRedrawsTheMap() throws {
        let front = FakeFrontEnd(), s = Session(comms: front)
        guard case .success = s.run(Self.setup) else { Issue.record("setup failed"); return }
        let shown = s.run("clip.steer(sae, image: scenes[3], labels: [\"a circle\", \"a square\", \"a star\", \"a heart\"], clamp: 0)").displayed
        #expect(shown?.data["text/html"]?.stringValue?.contains("<table") == true, "the fallback is the table")
        let clamp = try #require(front.model("FloatSliderModel") { $0["description"] == "clamp" })
        let table = try #require(front.model("HTMLModel") { $0["value"]?.stringValue?.contains("<table") == true })
        let before = table.state["value"]
        front.update(clamp, ["value": 150.0])
        let after = try #require(front.latest(table, "value"))
        #expect(after != before)
        #expect(after.stringValue?.contains("clamped to 150") == true)
        let map = try #require(front.model("ImageModel"))
        #expect(map.buffers.first?.prefix(4) == [0x89, 0x50, 0x4E, 0x47])
        let choices = try #require(front.model("DropdownModel"))
        let number = try #require(front.model("BoundedIntTextModel"))
        front.update(choices, ["index": 1])
        #expect(front.latest(number, "value") != number.state["value"], "the drop-down fills in the latent's number")
        #expect(front.latestBuffer(map, "value")?.prefix(4) == [0x89, 0x50, 0x4E, 0x47])
        // A number outside the SAE is refused by the control's bounds; the status says nothing went wrong.
        let status = try #require(front.opened.last { $0.state["_model_name"] == "HTMLModel" })
        #expect(front.latest(status, "value") == "")
    }

    /// Stop during an update ends it with a word in the status line; the next change works.
    @Test func anInterruptedUpdateLeavesTheWidgetUsable() throws {
        let front = FakeFrontEnd(), s = Session(comms: front)
        guard case .success = s.run(Self.setup) else { Issue.record("setup failed"); return }
        _ = s.run("clip.steer(sae, image: scenes[3], labels: [\"a circle\", \"a square\"], clamp: 0)")
        let clamp = try #require(front.model("FloatSliderModel") { $0["description"] == "clamp" })
        let table = try #require(front.model("HTMLModel") { $0["value"]?.stringValue?.contains("<table") == true })
        let status = try #require(front.opened.last { $0.state["_model_name"] == "HTMLModel" })
        s.interpreter.interrupt.request()
        front.update(clamp, ["value": 90.0])
        #expect(front.latest(status, "value")?.stringValue?.contains("Stopped before this update finished") == true,
                "\(String(describing: front.latest(status, "value")))")
        #expect(front.latest(table, "value")?.stringValue?.contains("clamped to 90") == false)
        s.interpreter.interrupt.clear()
        front.update(clamp, ["value": 120.0])
        #expect(front.latest(table, "value")?.stringValue?.contains("clamped to 120") == true)
        #expect(front.latest(status, "value") == "")
    }

    @Test func clickingAPatchListsItsLatentsAndALatentShowsItsTopImages() throws {
        let front = FakeFrontEnd(), s = Session(comms: front)
        guard case .success = s.run(Self.setup) else { Issue.record("setup failed"); return }
        let shown = s.run("sae.explore(scenes)").displayed
        #expect(shown?.data["image/png"] != nil, "the fallback is the L0 map")
        let patches = front.opened.filter { $0.state["_model_name"] == "ButtonModel" }
        #expect(patches.count == 49)
        let latents = try #require(front.model("ToggleButtonsModel"))
        #expect(latents.state["_options_labels"] == [])
        patches[24].receive(["method": "custom", "content": ["event": "click"]], [])
        let labels = try #require(front.latest(latents, "_options_labels")?.arrayValue)
        #expect(!labels.isEmpty && labels.count <= 12)
        #expect(front.latest(patches[24], "description") == "●")
        front.update(latents, ["index": 0])
        let top = try #require(front.opened.last { $0.state["_model_name"] == "ImageModel" })
        #expect(front.latestBuffer(top, "value")?.prefix(4) == [0x89, 0x50, 0x4E, 0x47])
        // Another image resets the list and recolours the patches.
        front.update(try #require(front.model("IntSliderModel") { $0["description"] == "image" }), ["value": 5])
        #expect(front.latest(latents, "_options_labels") == [])
    }
}

/// What a hostile or confused front end sends to a control is refused: the
/// kernel keeps its value, tells every view the true one, and says why.
@Suite struct WidgetUpdateValidationTests {
    func control(_ code: String) -> (Session, WidgetModel) {
        let s = Session()
        guard case .success(let bundle?, _) = s.run("let w = \(code)\nw"), bundle.data["text/plain"] != nil,
              case .success = s.run("w.value") else { fatalError("no widget") }
        guard case .object(let object)? = s.interpreter.variable("w"), let w = object as? WidgetObject else { fatalError("not a widget") }
        return (s, w.model)
    }

    @Test func numbersOutsideTheRangeOffTheStepOrOfAnotherTypeAreRefused() {
        let (s, model) = control("slider(0, 100)")
        var reasons: [String] = []
        model.onRefused = { reasons.append($0) }
        for bad: JSON in [1e308, -1e300, .double(.infinity), -1_000_000_000, .int(Int.min), "NaN", .null, true, ["a": 1], 2.5] {
            model.receiveUpdate(["value": bad])
            #expect(result(s, "w.value") == "0", "\(bad) was taken")
        }
        #expect(reasons.count == 10)
        #expect(reasons[0].contains("must be within 0...100"))
        #expect(reasons.last?.contains("whole number") == true)
        model.receiveUpdate(["value": 42])
        #expect(result(s, "w.value") == "42")
        // Keys a view has no business changing, and a 10 MB string, are refused whole.
        model.receiveUpdate(["max": 1_000_000])
        #expect(model.state["max"] == 100)
        model.receiveUpdate(["value": .string(String(repeating: "x", count: 10_000_000))])
        #expect(reasons.last?.contains("over 64 KB") == true)
        #expect(result(s, "w.value") == "42")
    }

    @Test func floatSlidersKeepToTheirStepAndSelectionsToTheirOptions() {
        let (s, model) = control("slider(0.0, 1.0, step: 0.25)")
        model.onRefused = { _ in }
        model.receiveUpdate(["value": 0.3])
        #expect(result(s, "w.value") == "0.0")
        model.receiveUpdate(["value": 0.75])
        #expect(result(s, "w.value") == "0.75")
        let (d, dropdown) = control("dropdown([\"a\", \"b\"])")
        dropdown.onRefused = { _ in }
        for bad: JSON in [2, -1, 0.5, .null, "b"] { dropdown.receiveUpdate(["index": bad]) }
        #expect(result(d, "w.value") == "\"a\"")
        dropdown.receiveUpdate(["index": 1])
        #expect(result(d, "w.value") == "\"b\"")
    }

    @Test func buffersMustMatchTheirPaths() {
        let (_, model) = control("slider(0, 10)")
        var reasons: [String] = []
        model.onRefused = { reasons.append($0) }
        model.received(["method": "update", "state": ["value": 3], "buffer_paths": [["value"]]], buffers: [])
        model.received(["method": "update", "state": ["value": 3], "buffer_paths": []], buffers: [[1, 2, 3]])
        #expect(model.state["value"] == 0)
        #expect(reasons.count == 2 && reasons[0].contains("buffer_paths name 1 buffers but 0 came"))
    }

    @Test func controlsFromCellsRefuseNumbersThatCannotBeShown() {
        let s = Session()
        #expect(failure(s, "slider(-9223372036854775807, 9223372036854775807)")?.message.contains("within ±2^53") == true)
        #expect(failure(s, "slider(0, 1e308 * 10)")?.message.contains("finite") == true)
        #expect(failure(s, "slider(0.0, 1.0, step: 5.0)")?.message == "step must be positive and at most max − min")
        #expect(result(s, "slider(-1e300, 1e300).value") == "-1e+300")
    }
}
