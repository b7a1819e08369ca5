import Foundation
import LoupeJSON
import LoupeLanguage

/// A widget as a value of the language: a control (`slider`, `dropdown`) or
/// a composed widget (`interact`, `clip.steer`, `sae.explore`). It shows as
/// a live widget in JupyterLab and as `fallback` (a picture or a table)
/// where widgets do not run: nbconvert, GitHub, `loupe run`.
public final class WidgetObject: HostObject {
    package let model: WidgetModel
    let kind: String
    /// The current value of a control, in the language's terms.
    let current: () -> Value
    let fallback: () -> DisplayBundle
    /// What a composed widget holds, so tests and scripts can reach its parts.
    package var parts: [String: WidgetModel] = [:]
    public var typeName: String { kind }

    init(_ model: WidgetModel, kind: String, current: @escaping () -> Value = { .void }, fallback: @escaping () -> DisplayBundle) {
        self.model = model; self.kind = kind; self.current = current; self.fallback = fallback
    }

    public func display() -> DisplayBundle { model.display(fallback: fallback()) }
}

/// A control's current value, from its model's state.
enum ControlValue {
    static func slider(_ model: WidgetModel, integer: Bool) -> Value {
        let v = model.state["value"]
        return integer ? .int(v?.intValue ?? 0) : .double(v?.doubleValue ?? 0)
    }

    static func option(_ model: WidgetModel, _ options: [Value]) -> Value {
        guard let i = model.state["index"]?.intValue, options.indices.contains(i) else { return .null }
        return options[i]
    }
}

func registerControls(_ r: Registry) {
    r.add(BuiltinType("Widget", doc: "A live control or view in JupyterLab (Jupyter widgets); elsewhere its picture or table.", isGlobal: false))
    r.type("Widget").addProperty(BuiltinProperty("value", type: "Any", doc: "A control's current value.") { v in
        (v.objectValue as! WidgetObject).current()
    })

    r.add(BuiltinFunction("slider", [
        Parameter(nil, name: "min", type: "Int or Double"),
        Parameter(nil, name: "max", type: "Int or Double"),
        Parameter("step", type: "Int or Double", default: .null, doc: "1 for whole numbers, else a hundredth of the range"),
        Parameter("value", type: "Int or Double", default: .null, doc: "where it starts (default: min)"),
        Parameter("label", type: "String", default: .string(""), doc: "the text beside it"),
    ], returns: "Widget", doc: "A slider: whole numbers when min and max are, else decimals. Give it to `interact`.") { ctx in
        func number(_ key: String) throws -> (Double, Bool) {
            switch ctx.value(key) {
            case .int(let i): return (Double(i), true)
            case .double(let d): return (d, false)
            case let v: throw ctx.typeError(key, expected: "a number", got: v)
            }
        }
        let (lo, intLo) = try number("min"), (hi, intHi) = try number("max")
        let integer = intLo && intHi && (!ctx.has("step") || { if case .int = ctx.value("step") { return true }; return false }())
        // A front end holds numbers as doubles: whole-number sliders within 2^53, others within 1e300, so spans stay finite.
        func checked(_ key: String, _ v: Double) throws -> Double {
            guard v.isFinite, integer ? CheckedNumber.exactInt(v) != nil : abs(v) <= 1e300 else {
                throw ctx.valueError(key, "\(key) must be a finite number " + (integer ? "within ±2^53 for a whole-number slider" : "of at most 1e300 in size")
                                     + ", got \(v)")
            }
            return v
        }
        _ = try checked("min", lo); _ = try checked("max", hi)
        guard hi > lo else { throw ctx.valueError("max", "max (\(hi)) must be above min (\(lo))") }
        let step = ctx.has("step") ? try checked("step", try number("step").0) : (integer ? 1 : (hi - lo) / 100)
        guard step > 0, step <= hi - lo else { throw ctx.valueError("step", "step must be positive and at most max − min") }
        let start = ctx.has("value") ? try checked("value", try number("value").0) : lo
        guard (lo...hi).contains(start) else {
            throw ctx.valueError("value", "value \(start) is outside \(lo)...\(hi)")
        }
        let label = try ctx.displayText("label")
        let model = Widgets.slider(ctx.interpreter, integer: integer, value: start, min: lo, max: hi, step: step, label: label)
        return .object(WidgetObject(model, kind: "Widget", current: { ControlValue.slider(model, integer: integer) }) {
            DisplayBundle(text: "\(label.isEmpty ? "slider" : label): \(ControlValue.slider(model, integer: integer).display().plainText)")
        })
    })

    r.add(BuiltinFunction("dropdown", [
        Parameter(nil, name: "options", type: "[Any]"),
        Parameter("value", type: "Any", default: .null, doc: "the option chosen at first (default: the first)"),
        Parameter("label", type: "String", default: .string("")),
    ], returns: "Widget", doc: "A drop-down list of options (strings or numbers). Give it to `interact`.") { ctx in
        guard case .array(let options) = ctx.value("options"), !options.isEmpty else {
            throw ctx.valueError("options", "give at least one option")
        }
        // Strings show as themselves, other values as they print.
        func text(_ v: Value) -> String { if case .string(let s) = v { return s }; return v.display().plainText }
        let labels = options.map(text)
        var index = 0
        if ctx.has("value") {
            let wanted = text(ctx.value("value"))
            guard let i = labels.firstIndex(of: wanted) else { throw ctx.valueError("value", "'\(wanted)' is not one of the options") }
            index = i
        }
        let label = try ctx.displayText("label")
        let model = Widgets.dropdown(ctx.interpreter, labels: labels, index: index, label: label)
        return .object(WidgetObject(model, kind: "Widget", current: { ControlValue.option(model, options) }) {
            DisplayBundle(text: "\(label.isEmpty ? "dropdown" : label): \(ControlValue.option(model, options).display().plainText)")
        })
    })

    r.add(BuiltinFunction("interact", [
        Parameter(nil, name: "controls", type: "Widget or [Widget]", doc: "sliders and drop-downs"),
        Parameter(nil, name: "body", type: "Closure", doc: "called with the controls' values, in order"),
    ], returns: "Widget", doc: "Runs the closure with the controls' values and shows its result under them; moving a control runs it "
       + "again and replaces the result in place: `interact([slider(1, 64, label: \"k\")]) { k in ... }`. "
       + "Where widgets do not run, the first result shows.") { ctx in
        let controls: [WidgetObject]
        switch ctx.value("controls") {
        case .object(let w as WidgetObject): controls = [w]
        case .array(let items):
            controls = try items.map { item in
                guard case .object(let w as WidgetObject) = item else { throw ctx.typeError("controls", expected: "a slider or dropdown", got: item) }
                return w
            }
        case let v: throw ctx.typeError("controls", expected: "a Widget or [Widget]", got: v)
        }
        guard case .function(let body) = ctx.value("body") else { throw ctx.typeError("body", expected: "a closure", got: ctx.value("body")) }
        let interpreter = ctx.interpreter, span = ctx.span
        // Runs the closure; its result, or its error, is what the output area shows.
        func run() -> (DisplayBundle, [JSON]) {
            do {
                let result = try body.call(interpreter, controls.map { $0.current() }, at: span)
                let bundle = result.isVoid ? DisplayBundle(text: "") : result.display()
                return (bundle, result.isVoid ? [] : Widgets.outputs(bundle))
            } catch let e as LoupeError {
                return (DisplayBundle(text: "\(e.kind.rawValue): \(e.message)"), Widgets.outputs(error: "\(e.kind.rawValue): \(e.message)"))
            } catch {
                return (DisplayBundle(text: "\(error)"), Widgets.outputs(error: "\(error)"))
            }
        }
        let (first, outputs) = run()
        try ctx.checkInterrupt()
        let output = Widgets.output(interpreter, outputs: outputs)
        var latest = first
        for control in controls {
            control.model.observe { changed in
                guard changed.contains("value") || changed.contains("index") else { return }
                let (bundle, outputs) = run()
                latest = bundle
                output.set(["outputs": .array(outputs)])
            }
        }
        let box = Widgets.box(interpreter, vertical: true, controls.map(\.model) + [output])
        let widget = WidgetObject(box, kind: "Widget", fallback: { latest })
        widget.parts = ["output": output]
        return .object(widget)
    })
}
