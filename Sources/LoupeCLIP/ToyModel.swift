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
    public static let toyPromptTemplates: [String: String] = [
        "shape": "a {}",
        "colour": "a {} shape",
        "background": "a shape on {}",
    ]

    /// The prompts for `classes` of `attribute` ("shape", "colour" or
    /// "background"), or nil for an attribute the toy model has no template for.
    public static func toyPrompts(attribute: String, classes: [String]) -> [String]? {
        let key = attribute.lowercased() == "color" ? "colour" : attribute.lowercased()
        guard let template = toyPromptTemplates[key] else { return nil }
        return classes.map { template.replacingOccurrences(of: "{}", with: $0) }
    }

    /// Loads the shipped toy CLIP.
    public static func loadToy() throws -> CLIPModel {
        try CLIPModel(path: try toyModelFile())
    }

    /// Where the shipped toy CLIP is: $LOUPE_TOY_CLIP, the SwiftPM resource
    /// folder next to the executable, then the source tree this file was
    /// built from (the same search as the BPE vocabulary).
    public static func toyModelFile() throws -> String {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["LOUPE_TOY_CLIP"] { candidates.append(env) }
        let exeDir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for dir in [exeDir, Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()] {
            candidates.append(dir.appendingPathComponent("Loupe_LoupeCLIP.resources/\(toyModelName)").path)
            candidates.append(dir.appendingPathComponent("Loupe_LoupeCLIP.bundle/Contents/Resources/\(toyModelName)").path)
        }
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Resources/\(toyModelName)").path)
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
        throw CLIPError(file: toyModelName, problem: "the toy CLIP was not found (looked in: \(candidates.joined(separator: ", ")))",
                        fix: "Keep the Loupe_LoupeCLIP.resources folder next to the loupe binary, or set LOUPE_TOY_CLIP to the file's path.")
    }
}
