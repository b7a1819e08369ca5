import Foundation
import LoupeBuiltins
import LoupeJSON
import LoupeLanguage
import LoupeTestSupport
import Testing

/// A front end gone wrong, on every widget model Loupe opens (controls,
/// layouts, styles, outputs, images, boxes, and the parts of `clip.steer`
/// and `sae.explore`): seeded comm messages with mutated state, methods,
/// buffer paths and buffers. None may trap or hang the session, and every
/// control's value stays one its rules allow.
@Suite(.serialized) struct CommFuzzTests {
    static let values: [JSON] = [1e308, -1e308, .double(.infinity), .double(-.infinity), .double(.nan), -0.0, 5e-324,
                                 .int(Int.min), .int(Int.max), -1, 0, 1, 2.5, 150, "NaN", "", .string(String(repeating: "x", count: 100_000)),
                                 .null, true, [], [1, 2], ["a": 1], [[[[[]]]]]]
    static let keys = ["value", "index", "min", "max", "step", "_options_labels", "_model_name", "layout", "outputs", "description",
                       "children", "style", "disabled", "unknown"]
    static let methods: [JSON] = ["update", "update", "update", "request_state", "custom", "echo_update", "bogus", .null, 3]

    @Test func mutatedCommMessagesNeverCrashAndControlsKeepLegalValues() throws {
        let front = FakeFrontEnd(), s = Session(comms: front)
        let made = s.run("""
        let scenes = Dataset.scenes(count: 12, seed: 7)
        let clip = CLIP.load("\(CLIPBuiltinsTests.fixtures)/hf_tiny_bf16")
        let sae = SAE.train(clip.activations(scenes, layer: 1), kind: .topK(k: 4), width: 16, steps: 5, batch: 64)
        let a = slider(0, 10, value: 3)
        let b = slider(0.0, 1.0, step: 0.25)
        let c = dropdown(["x", "y", "z"])
        let i = interact([a, b, c]) { x, y, z in x }
        let steer = clip.steer(sae, image: scenes[2], labels: ["a circle", "a star"], clamp: 10)
        let explore = sae.explore(scenes)
        [a, b, c, i, steer, explore]
        """)
        guard case .success = made else { Issue.record("setup failed: \(made)"); return }
        #expect(front.opened.count >= 20, "only \(front.opened.count) models were opened")
        var random = Mutator(seed: 42, corpus: [[0]], dictionary: [])
        let budget = Mutator.budget(standard: 10)
        let started = Date()
        var runs = 0
        while Date().timeIntervalSince(started) < budget {
            let endpoint = front.opened[random.below(front.opened.count)]
            var state: [String: JSON] = [:]
            for _ in 0..<(1 + random.below(3)) { state[Self.keys[random.below(Self.keys.count)]] = Self.values[random.below(Self.values.count)] }
            var data: [String: JSON] = ["method": Self.methods[random.below(Self.methods.count)], "state": .object(state)]
            switch random.below(5) {
            case 0: data["buffer_paths"] = [["value"]]
            case 1: data["buffer_paths"] = "value"
            case 2: data["buffer_paths"] = [[1, 2], []]
            default: data["buffer_paths"] = []
            }
            if random.below(6) == 0 { data["state"] = Self.values[random.below(Self.values.count)] }
            if random.below(8) == 0 { data["content"] = Self.values[random.below(Self.values.count)] }
            let buffers: [[UInt8]] = random.below(4) == 0 ? [[0x89, 0x50], []] : []
            let token = s.interpreter.interrupt
            let watchdog = DispatchWorkItem { token.request() }
            DispatchQueue.global().asyncAfter(deadline: .now() + 2, execute: watchdog)
            s.perform { endpoint.receive(.object(data), buffers) }
            watchdog.cancel()
            token.clear()
            runs += 1
        }
        print("fuzz comms: \(runs) messages to \(front.opened.count) models in \(Int(Date().timeIntervalSince(started))) s")
        #expect(runs >= 200)
        // Whatever came, each control holds a value its own rules accept.
        for slider in ["a", "b"] {
            guard case .object(let o)? = s.interpreter.variable(slider), let w = o as? WidgetObject else { Issue.record("\(slider) lost"); continue }
            #expect(w.model.refusal("value", w.model.state["value"] ?? .null) == nil, "\(slider) holds \(w.model.state["value"] ?? .null)")
        }
        guard case .object(let o)? = s.interpreter.variable("c"), let dropdown = o as? WidgetObject else { Issue.record("c lost"); return }
        #expect(dropdown.model.refusal("index", dropdown.model.state["index"] ?? .null) == nil)
        guard case .success(let result, _) = s.run("1 + 1") else { Issue.record("the session no longer runs"); return }
        #expect(result?.plainText == "2")
    }
}

