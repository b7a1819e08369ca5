import LoupeJSON
import LoupeLanguage

/// One session's widgets: the comms they travel on, every model made (so a
/// reopened notebook gets them back), and how the front end's messages are
/// run. The session makes it with the comms it is given and hands it to the
/// interpreter as a service, so a builtin reaches it by its type
/// (`WidgetHost.of(interpreter)`).
///
/// What the front end sends arrives here first and is run by `perform`, the
/// session's way of running work between cells (on its large-stack worker,
/// answering Stop); only then does it reach a model and its controller.
public final class WidgetHost {
    /// nil without a front end (`loupe run`, most tests): models then live in the session alone.
    let comms: CommHost?
    private(set) var models: [String: WidgetModel] = [:]
    private let perform: (@escaping () -> Void) -> Void

    /// Registers `jupyter.widget.control`, which a front end opens to ask for
    /// every model's state when a notebook is opened again.
    init(comms: CommHost?, perform: @escaping (@escaping () -> Void) -> Void) {
        self.comms = comms
        self.perform = perform
        comms?.register(target: "jupyter.widget.control") { [weak self] endpoint, _, _ in
            return { data, _ in self?.perform { self?.answerControl(data, on: endpoint) } }
        }
    }

    /// The host of the session `interpreter` belongs to; one without comms for
    /// an interpreter made outside a session.
    static func of(_ interpreter: Interpreter) -> WidgetHost {
        interpreter.service(WidgetHost.self) ?? WidgetHost(comms: nil) { $0() }
    }

    /// A model with `state`, opened to the front end when there is one.
    func model(state: [String: JSON], binary: [String: [UInt8]] = [:]) -> WidgetModel {
        var delivered: ((JSON, [[UInt8]]) -> Void)?
        let endpoint = comms.map { comms in
            let (data, buffers) = WidgetModel.message(state: state, binary: binary)
            return comms.open(target: "jupyter.widget", data: data, metadata: ["version": .string(WidgetModel.protocolVersion)],
                              buffers: buffers) { [perform] data, buffers in perform { delivered?(data, buffers) } }
        }
        let model = WidgetModel(state: state, binary: binary, endpoint: endpoint)
        delivered = { [weak model] data, buffers in model?.received(data, buffers: buffers) }
        models[model.id] = model
        return model
    }

    /// The model `reference` (`"IPY_MODEL_<id>"`) names.
    func model(referredToBy reference: JSON?) -> WidgetModel? {
        guard let reference = reference?.stringValue, reference.hasPrefix("IPY_MODEL_") else { return nil }
        return models[String(reference.dropFirst("IPY_MODEL_".count))]
    }

    private func answerControl(_ data: JSON, on endpoint: CommEndpoint) {
        guard data["method"]?.stringValue == "request_states" else { return }
        var states: [String: JSON] = [:], paths: [JSON] = [], buffers: [[UInt8]] = []
        for (id, model) in models.sorted(by: { $0.key < $1.key }) {
            states[id] = ["model_name": model.state["_model_name"] ?? .null, "model_module": model.state["_model_module"] ?? .null,
                          "model_module_version": model.state["_model_module_version"] ?? .null, "state": .object(model.state)]
            for key in model.binary.keys.sorted() {
                paths.append([.string(id), "state", .string(key)])
                buffers.append(model.binary[key]!)
            }
        }
        endpoint.send(["method": "update_states", "states": .object(states), "buffer_paths": .array(paths)], buffers: buffers)
    }
}
