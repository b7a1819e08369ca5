import Foundation

/// The toy CLIP shipped with Loupe: a small open_clip ViT (patch 32 at 224,
/// so 7x7 patches plus CLS like ViT-B/32) trained contrastively on toy-world
/// scenes and their captions. Its model card is `toy-clip.md` beside the
/// weights; `dev/train_toy_clip.py` and `dev/export_toy_clip.py` rebuild it.
extension CLIPModel {
    static let toyModelName = "toy-clip.safetensors"

    /// Zero-shot prompt templates the toy model was trained and measured
    /// with, by attribute; `{}` stands for the class name ("a star",
    /// "a red shape", "a shape on water").
    package static let toyPromptTemplates: [String: String] = [
        "shape": "a {}",
        "colour": "a {} shape",
        "background": "a shape on {}",
    ]

    /// The prompts for `classes` of `attribute` ("shape", "colour" or
    /// "background"), or nil for an attribute the toy model has no template for.
    package static func toyPrompts(attribute: String, classes: [String]) -> [String]? {
        let key = attribute.lowercased() == "color" ? "colour" : attribute.lowercased()
        guard let template = toyPromptTemplates[key] else { return nil }
        return classes.map { template.replacingOccurrences(of: "{}", with: $0) }
    }

    /// Loads the shipped toy CLIP.
    package static func loadToy() throws -> CLIPModel {
        try CLIPModel(path: try toyModelFile())
    }

    /// Where the shipped toy CLIP is ($LOUPE_TOY_CLIP overrides it).
    package static func toyModelFile() throws -> String {
        try ShippedResource.path(toyModelName, what: "the toy CLIP", environment: "LOUPE_TOY_CLIP")
    }
}
