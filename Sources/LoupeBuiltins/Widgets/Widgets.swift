import Foundation
import LoupeDisplay
import LoupeJSON
import LoupeLanguage

/// Makes the models of `@jupyter-widgets/controls` 2.0.0 (and the base
/// module's layouts, the output module's output area) in the session's
/// `WidgetHost`.
public enum Widgets {
    static let controls = "@jupyter-widgets/controls", base = "@jupyter-widgets/base", outputModule = "@jupyter-widgets/output"
    static let controlsVersion = "2.0.0", baseVersion = "2.0.0", outputVersion = "1.0.0"
    /// Pictures inside widgets are drawn at 1× (figures at 2×): a quarter of
    /// the pixels, so a new latent's picture is ready well within 200 ms.
    static let density = 1

    /// A model of `name` from the controls module (or `module`), with its
    /// own layout model and, when `style` names one, its own style model.
    static func make(_ interpreter: Interpreter, _ name: String, view: String, module: String = controls, version: String = controlsVersion,
                     state: [String: JSON], binary: [String: [UInt8]] = [:], style: String? = nil, styleState: [String: JSON] = [:],
                     layout: [String: JSON] = [:]) -> WidgetModel {
        let host = WidgetHost.of(interpreter)
        func model(_ state: [String: JSON], binary: [String: [UInt8]] = [:]) -> WidgetModel { host.model(state: state, binary: binary) }
        func header(_ name: String, _ view: String, _ module: String, _ version: String, viewModule: String? = nil) -> [String: JSON] {
            ["_model_name": .string(name), "_model_module": .string(module), "_model_module_version": .string(version),
             "_view_name": .string(view), "_view_module": .string(viewModule ?? module), "_view_module_version": .string(version)]
        }
        var full = header(name, view, module, version)
        let layoutModel = model(header("LayoutModel", "LayoutView", base, baseVersion).merging(layout) { $1 })
        full["layout"] = layoutModel.reference
        if let style {
            var styleHeader = header(style, "StyleView", controls, controlsVersion)
            styleHeader["_view_module"] = .string(base); styleHeader["_view_module_version"] = .string(baseVersion)
            full["style"] = model(styleHeader.merging(styleState) { $1 }).reference
        }
        full["_dom_classes"] = []
        return model(full.merging(state) { $1 }, binary: binary)
    }

    /// The style model a widget refers to, to restyle it (a patch's colour).
    static func style(of model: WidgetModel, in interpreter: Interpreter) -> WidgetModel? {
        WidgetHost.of(interpreter).model(referredToBy: model.state["style"])
    }

    // MARK: the controls Loupe uses

    static func slider(_ i: Interpreter, integer: Bool, value: Double, min: Double, max: Double, step: Double, label: String) -> WidgetModel {
        let number: (Double) -> JSON = { integer ? .int(CheckedNumber.exactInt($0.rounded()) ?? 0) : .double($0) }
        return writable(["value": .number(integer: integer)], make(i, integer ? "IntSliderModel" : "FloatSliderModel", view: integer ? "IntSliderView" : "FloatSliderView", state: [
            "value": number(value), "min": number(min), "max": number(max), "step": number(step), "description": .string(label),
            "orientation": "horizontal", "readout": true, "readout_format": integer ? "d" : ".2f", "continuous_update": true,
            "behavior": "drag-tap", "disabled": false,
        ], style: "SliderStyleModel", styleState: ["description_width": "initial"], layout: ["width": "420px"]))
    }

    /// `model`, with the keys a view may change.
    static func writable(_ keys: [String: WritableValue], _ model: WidgetModel) -> WidgetModel {
        model.writable = keys
        return model
    }

    static func dropdown(_ i: Interpreter, labels: [String], index: Int, label: String) -> WidgetModel {
        writable(["index": .index(nullable: false)], make(i, "DropdownModel", view: "DropdownView", state: [
            "_options_labels": .array(labels.map(JSON.string)), "index": .int(index), "description": .string(label), "disabled": false,
        ], style: "DescriptionStyleModel", styleState: ["description_width": "initial"]))
    }

    static func toggleButtons(_ i: Interpreter, labels: [String], index: Int?, label: String) -> WidgetModel {
        writable(["index": .index(nullable: true)], make(i, "ToggleButtonsModel", view: "ToggleButtonsView", state: [
            "_options_labels": .array(labels.map(JSON.string)), "index": index.map(JSON.int) ?? .null, "description": .string(label),
            "button_style": "", "icons": [], "tooltips": [], "disabled": false,
        ], style: "ToggleButtonsStyleModel", styleState: ["button_width": "", "description_width": "initial", "font_weight": ""]))
    }

    static func intText(_ i: Interpreter, value: Int, min: Int, max: Int, label: String) -> WidgetModel {
        writable(["value": .number(integer: true)], make(i, "BoundedIntTextModel", view: "IntTextView", state: [
            "value": .int(value), "min": .int(min), "max": .int(max), "step": 1, "description": .string(label),
            "continuous_update": false, "disabled": false,
        ], style: "DescriptionStyleModel", styleState: ["description_width": "initial"], layout: ["width": "180px"]))
    }

    static func button(_ i: Interpreter, label: String, color: String?, tooltip: String, size: Int) -> WidgetModel {
        make(i, "ButtonModel", view: "ButtonView", state: [
            "description": .string(label), "tooltip": .string(tooltip), "button_style": "", "icon": "", "disabled": false,
        ], style: "ButtonStyleModel", styleState: ["button_color": color.map(JSON.string) ?? .null, "font_weight": ""],
           layout: ["width": .string("\(size)px"), "height": .string("\(size)px"), "padding": "0", "margin": "0"])
    }

    static func html(_ i: Interpreter, _ value: String, width: String? = nil) -> WidgetModel {
        make(i, "HTMLModel", view: "HTMLView", state: ["value": .string(value), "placeholder": "", "description": ""],
             style: "HTMLStyleModel", styleState: ["description_width": "", "font_size": .null, "text_color": .null],
             layout: width.map { ["width": .string($0)] } ?? [:])
    }

    static func image(_ i: Interpreter, png: [UInt8], width: Int? = nil) -> WidgetModel {
        make(i, "ImageModel", view: "ImageView", state: ["format": "png", "width": .string(width.map(String.init) ?? ""), "height": ""],
             binary: ["value": png])
    }

    static func output(_ i: Interpreter, outputs: [JSON]) -> WidgetModel {
        make(i, "OutputModel", view: "OutputView", module: outputModule, version: outputVersion,
             state: ["outputs": .array(outputs), "msg_id": ""])
    }

    static func box(_ i: Interpreter, vertical: Bool, _ children: [WidgetModel], layout: [String: JSON] = [:]) -> WidgetModel {
        make(i, vertical ? "VBoxModel" : "HBoxModel", view: vertical ? "VBoxView" : "HBoxView",
             state: ["children": .array(children.map(\.reference)), "box_style": ""], layout: layout)
    }

    static func grid(_ i: Interpreter, _ children: [WidgetModel], columns: Int, cell: Int) -> WidgetModel {
        make(i, "GridBoxModel", view: "GridBoxView", state: ["children": .array(children.map(\.reference)), "box_style": ""],
             layout: ["grid_template_columns": .string("repeat(\(columns), \(cell)px)"), "grid_gap": "1px", "width": "max-content"])
    }

    /// What a widget's status line says when an update failed or was stopped.
    static func statusHTML(_ error: Error, at span: SourceSpan) -> String {
        let e = LoupeError(error, at: span)
        let text = e.kind == .interrupted ? "Stopped before this update finished; change a control to run it again." : e.message
        return "<span style=\"color:#b42318\">\(escapeHTML(text))</span>"
    }

    /// An output area's outputs showing `bundle`, as the output widget holds them.
    static func outputs(_ bundle: DisplayBundle) -> [JSON] {
        [["output_type": "display_data", "data": .object(bundle.data), "metadata": .object(bundle.metadata)]]
    }

    static func outputs(error message: String) -> [JSON] {
        [["output_type": "stream", "name": "stderr", "text": .string(message + "\n")]]
    }
}
