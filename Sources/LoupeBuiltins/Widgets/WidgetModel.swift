import Foundation
import LoupeJSON
import LoupeLanguage

/// One Jupyter widget model, kept in sync with its counterpart in the front
/// end over a comm (the Jupyter widget protocol, version 2.1.0): the state
/// goes out in `comm_open` and in `update` messages; the front end's
/// `update`s come back, are applied, echoed (`echo_update`, so other views
/// of the notebook agree) and passed to the observers; `request_state` is
/// answered with the whole state; `custom` messages (a button's click) go to
/// `onCustom`. Binary values (an image's bytes) travel as buffers, named by
/// their paths in the state. Without a front end (no comms) the model lives
/// in the session alone and its value shows its fallback picture.
package final class WidgetModel {
    package static let protocolVersion = "2.1.0"
    package let id: String
    package private(set) var state: [String: JSON]
    package private(set) var binary: [String: [UInt8]]
    private var endpoint: CommEndpoint?
    private var observers: [(Set<String>) -> Void] = []
    package var onCustom: ((JSON) -> Void)?
    /// The keys a front end may change, and how each is checked (`WidgetValidation.swift`).
    package var writable: [String: WritableValue] = [:]
    /// Told why a front end's update was refused; by default the kernel's log (stderr).
    package var onRefused: ((String) -> Void)? = { reason in
        FileHandle.standardError.write(Data("loupe: widget update refused: \(reason)\n".utf8))
    }

    /// `endpoint`: the model's comm, already open (`WidgetHost.model`); nil without a front end.
    init(state: [String: JSON], binary: [String: [UInt8]] = [:], endpoint: CommEndpoint?) {
        self.state = state; self.binary = binary; self.endpoint = endpoint
        id = endpoint?.id ?? UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    /// `"IPY_MODEL_<id>"`: how one model's state refers to another.
    package var reference: JSON { .string("IPY_MODEL_" + id) }

    /// The state as the wire carries it: JSON, with binary values cut out into buffers.
    static func message(state: [String: JSON], binary: [String: [UInt8]], method: String? = nil) -> (JSON, [[UInt8]]) {
        let keys = binary.keys.sorted()
        var data: [String: JSON] = ["state": .object(state), "buffer_paths": .array(keys.map { [.string($0)] })]
        if let method { data["method"] = .string(method) }
        return (.object(data), keys.map { binary[$0]! })
    }

    /// Changes the state here and in the front end.
    package func set(_ changes: [String: JSON], binary changedBinary: [String: [UInt8]] = [:]) {
        for (k, v) in changes { state[k] = v }
        for (k, v) in changedBinary { binary[k] = v }
        let (data, buffers) = Self.message(state: changes, binary: changedBinary, method: "update")
        endpoint?.send(data, buffers: buffers)
    }

    /// Calls `observer` with the changed keys after every change from the front end.
    package func observe(_ observer: @escaping (Set<String>) -> Void) { observers.append(observer) }

    /// A change as if the front end had made it (tests, and widgets that drive each other).
    package func receiveUpdate(_ changes: [String: JSON]) {
        received(["method": "update", "state": .object(changes), "buffer_paths": []], buffers: [])
    }

    package func received(_ data: JSON, buffers: [[UInt8]]) {
        switch data["method"]?.stringValue {
        case "update":
            let proposed = data["state"]?.objectValue ?? [:]
            let paths = data["buffer_paths"]?.arrayValue ?? []
            // No control of Loupe's takes bytes from a view, and paths must name the buffers one to one.
            var whole: String?
            if paths.count != buffers.count { whole = "buffer_paths name \(paths.count) buffers but \(buffers.count) came" }
            else if !buffers.isEmpty { whole = "no value of this widget is binary, but \(buffers.count) buffers came" }
            else if (data["state"] ?? .null).serialized().utf8.count > Self.maximumUpdateBytes {
                whole = "the update is over \(Self.maximumUpdateBytes / 1024) KB"
            }
            var accepted: [String: JSON] = [:], refused: [String] = []
            for (key, value) in proposed.sorted(by: { $0.key < $1.key }) {
                if let reason = whole ?? refusal(key, value) { refused.append(reason) } else { accepted[key] = value }
            }
            if !refused.isEmpty {
                // Every view is told the value the kernel kept, so none shows what was refused.
                let kept = proposed.keys.filter { accepted[$0] == nil }.reduce(into: [String: JSON]()) { $0[$1] = state[$1] }
                if !kept.isEmpty { endpoint?.send(Self.message(state: kept, binary: [:], method: "update").0, buffers: []) }
                onRefused?("model \(id): " + (whole.map { [$0] } ?? refused).joined(separator: "; "))
            }
            guard !accepted.isEmpty else { return }
            for (k, v) in accepted { state[k] = v }
            let (echo, echoBuffers) = Self.message(state: accepted, binary: [:], method: "echo_update")
            endpoint?.send(echo, buffers: echoBuffers)
            for observer in observers { observer(Set(accepted.keys)) }
        case "request_state":
            let (full, buffers) = Self.message(state: state, binary: binary, method: "update")
            endpoint?.send(full, buffers: buffers)
        case "custom":
            onCustom?(data["content"] ?? .null)
        default:
            break
        }
    }

    /// What the display of this model sends: the widget view, which
    /// JupyterLab renders, beside `fallback` for viewers without widgets.
    package func display(fallback: DisplayBundle) -> DisplayBundle {
        var bundle = fallback
        bundle.data["application/vnd.jupyter.widget-view+json"] = ["version_major": 2, "version_minor": 0, "model_id": .string(id)]
        return bundle
    }
}
