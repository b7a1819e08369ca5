import Foundation
import LoupeBuiltins
import LoupeLanguage
import LoupeSessionTestSupport
import LoupeTestSupport
import Testing

/// Every builtin, method and static of the registry called with one
/// argument at a time set to an extreme value (±1e308, ±infinity, NaN, −0,
/// the smallest subnormal, Int.min, Int.max, −1, 0, empty and huge arrays,
/// 100,000-character strings, empty and reversed ranges) on valid receivers:
/// no call may trap (which would end this process, as it would end a
/// kernel) or go on past Stop. The cases come from the registry itself, so a
/// builtin is fuzzed the day it is registered. `make test` gives it a budget
/// of seconds and covers the first extreme of every parameter first;
/// LOUPE_FUZZ_SECONDS runs longer. A crash leaves its call in `lastInput`.
@Suite(.serialized) struct RegistryFuzzTests {
    static let lastInput = NSTemporaryDirectory() + "loupe-registry-fuzz-last-call.loupe"

    /// Values every call can refer to, made once per session.
    static let setup = """
    let clip = CLIP.load("\(CLIPBuiltinsTests.fixtures)/hf_tiny_bf16")
    let scenes = Dataset.scenes(count: 24, seed: 3)
    let image = scenes[0]
    let acts = clip.activations(scenes, layer: 1, tokens: .all)
    let sae = SAE.train(acts, kind: .topK(k: 4), width: 16, steps: 5, batch: 64)
    let table = sae.metrics(acts)
    let probe = clip.probe(scenes, label: "habitat", steps: 5)
    let steer = clip.steerability(sae, vocabulary: ["red", "blue"], images: scenes[0..<4], clamp: 10, units: 0..<4)
    let ms = sae.monosemanticity(scenes)
    let zeroShot = clip.zeroShot(scenes)
    let truth = sae.groundTruth(scenes)
    let control = slider(0, 10)
    let figure = steer.compare(steer)
    """

    /// The value that stands for a receiver of each type.
    static let receivers = ["CLIP": "clip", "SAE": "sae", "Dataset": "scenes", "Image": "image", "Activations": "acts",
                            "Table": "table", "Probe": "probe", "Steerability": "steer", "Monosemanticity": "ms",
                            "ZeroShot": "zeroShot", "GroundTruth": "truth", "Widget": "control", "Figure": "figure"]

    /// Builtins that read or write files or the environment: the file
    /// mutation tests cover what they read.
    static let skipped: Set<String> = ["env", "sleep", "CLIP.load", "Model.load", "SAE.load", "Dataset.folder", "Dataset.waterbirds",
                                       "Dataset.celeba", "SAE.save", "SAE.export", "Activations.save", "Activations.load", "Dataset.save",
                                       "Image.save", "Table.save", "help"]

    /// A valid value for a parameter, by its name first, then its type.
    static func valid(_ p: Parameter) -> String? {
        let byName = ["layer": "1", "neurons": "1", "attribute": "\"shape\"", "label": "\"habitat\"", "groups": "[\"habitat\", \"colour\"]",
                      "feature": "0", "latent": "0", "vocabulary": "[\"red\", \"blue\"]", "labels": "[\"a red shape\", \"a blue shape\"]",
                      "images": "scenes", "in": "scenes", "with": "scenes.filter(habitat: \"water\")",
                      "without": "scenes.filter(habitat: \"land\")", "test": "Dataset.scenes(count: 8, seed: 9)",
                      "select": "Dataset.scenes(count: 8, seed: 10)", "selectWords": "[\"cat\"]", "attackWords": "[\"star\"]",
                      "clamps": "[1, 10]", "units": "0..<2", "saes": "[sae]", "word": "\"cat\"", "words": "[\"cat\"]"]
        if let v = byName[p.name] { return v }
        if let first = p.choices.first { return "." + first.name }
        let byType = ["Int": "2", "Double": "0.5", "Int or Double": "2", "String": "\"red\"", "[String]": "[\"red\", \"blue\"]",
                      "[Int]": "[0, 1]", "[Int] or Range": "0..<2", "Bool": "true", "Dataset": "scenes", "SAE": "sae", "[SAE]": "[sae]",
                      "SAE or [SAE]": "sae", "CLIP": "clip", "Activations": "acts", "Probe": "probe", "Image": "image",
                      "[Double]": "[0.5, 1.5]", "[[Double]]": "[[0.5, 1.5]]", "Closure": "{ x in x }", "Any": "1", "[Any]": "[1, 2]",
                      "Widget or [Widget]": "control", "[[Any]]": "[[1, 2]]", "Steerability": "steer", "Monosemanticity": "ms",
                      "CLIP or Option": "clip", "Table": "table", "Figure": "figure", "Int or Range": "2", "Range": "0..<2"]
        return byType[p.type]
    }

    static let hugeString = "\"" + String(repeating: "x", count: 100_000) + "\""
    static let numbers = ["1e308", "-1e308", "(1e308 * 10)", "(-1e308 * 10)", "((1e308 * 10) - (1e308 * 10))", "-0.0", "5e-324",
                          "(-9223372036854775807 - 1)", "9223372036854775807", "-1", "0", "4503599627370497"]
    static let arrays = ["[]", "[1e308, -1e308]", "[(1e308 * 10), ((1e308 * 10) - (1e308 * 10))]",
                         "[(-9223372036854775807 - 1), 9223372036854775807]", "(0..<200000).map { $0 }", "[-1]", "[0, 0]"]
    static let strings = ["\"\"", hugeString, "\"a\\u{0}b\"", "\" \""]
    static let stringArrays = ["[]", "[\"\"]", "[\(hugeString)]", "[\"a\", \"a\"]", "(0..<100000).map { \"w\\($0)\" }"]
    static let ranges = ["0..<0", "(0..<9223372036854775807)", "(-9223372036854775807 - 1)..<0"]

    /// Parameters that name files or folders: a fuzzed path would write
    /// into the working directory. The file mutation tests cover readers.
    static let paths: Set<String> = ["checkpoint", "to", "path", "file", "folder"]

    /// The extremes that fit a parameter's type (objects and options get none).
    static func extremes(_ p: Parameter) -> [String] {
        if paths.contains(p.name) { return [] }
        switch p.type {
        case "Int", "Double", "Int or Double", "Int or Range": return numbers
        case "[Int]", "[Double]", "[[Double]]": return arrays + (p.type == "[[Double]]" ? ["[[]]", "[[1e308], [-1e308]]"] : [])
        case "[Int] or Range", "Range": return arrays + ranges
        case "String": return strings
        case "[String]": return stringArrays
        case "[Any]", "Any": return numbers.prefix(5) + ["[]", hugeString]
        default: return []
        }
    }

    struct Case { let code: String; let name: String }

    /// Round by round: round r sets each parameter to its r-th extreme, so
    /// a short budget still reaches every parameter of every builtin.
    static func cases(_ registry: Registry) -> [Case] {
        var callables: [(name: String, prefix: String, function: BuiltinFunction)] = []
        for (name, f) in registry.functions where !skipped.contains(name) { callables.append((name, name, f)) }
        for (typeName, type) in registry.types {
            for (name, f) in type.staticMembers where !skipped.contains("\(typeName).\(name)") {
                callables.append(("\(typeName).\(name)", "\(typeName).\(name)", f))
            }
            guard let receiver = receivers[typeName] else { continue }
            for (name, f) in type.methods where !skipped.contains("\(typeName).\(name)") {
                callables.append(("\(typeName).\(name)", "\(receiver).\(name)", f))
            }
        }
        callables.sort { $0.name < $1.name }
        var rounds: [[Case]] = []
        for c in callables {
            let params = c.function.parameters
            let base = params.map { p -> String? in p.defaultValue == nil ? valid(p) : nil }
            guard params.indices.allSatisfy({ params[$0].defaultValue != nil || base[$0] != nil }) else { continue }
            func call(_ values: [String?]) -> String {
                var args: [String] = [], trailing: String?
                for (p, v) in zip(params, values) {
                    guard let v else { continue }
                    if p.type == "Closure" && p.label == nil { trailing = v; continue }
                    args.append((p.label.map { "\($0): " } ?? "") + v)
                }
                return "\(c.prefix)(\(args.joined(separator: ", ")))" + (trailing.map { " " + $0 } ?? "")
            }
            for (i, p) in params.enumerated() where !p.variadic {
                for (r, extreme) in extremes(p).enumerated() {
                    var values = base
                    values[i] = extreme
                    while rounds.count <= r { rounds.append([]) }
                    rounds[r].append(Case(code: call(values), name: "\(c.name)(\(p.label ?? "_"):)"))
                }
            }
        }
        return rounds.flatMap { $0 }
    }

    @Test func everyBuiltinSurvivesExtremeArguments() throws {
        let registry = Registry.standard
        let all = Self.cases(registry)
        #expect(all.count >= 500, "the registry gave only \(all.count) cases")
        let budget = Mutator.budget(standard: 60)
        let started = Date()
        var session = Session(registry: registry)
        func fresh() -> Session {
            let s = Session(registry: registry)
            if case .failure(let error, _, _) = s.run(Self.setup, color: false) { Issue.record("setup failed: \(error.message)") }
            return s
        }
        session = fresh()
        var runs = 0, errors = 0, slowest = (0.0, "")
        var stuck: [String] = []
        for c in all {
            if Date().timeIntervalSince(started) > budget { break }
            if runs % 200 == 199 { session = fresh() }
            FileManager.default.createFile(atPath: Self.lastInput, contents: Data((Self.setup + "\n" + c.code).utf8))
            let token = session.interpreter.interrupt
            // Anything that runs long is stopped, as a person would; it must stop soon after.
            let watchdog = DispatchWorkItem { token.request() }
            DispatchQueue.global().asyncAfter(deadline: .now() + 1, execute: watchdog)
            let t0 = Date()
            if case .failure = session.run(c.code, color: false) { errors += 1 }
            watchdog.cancel()
            let took = Date().timeIntervalSince(t0)
            if took > slowest.0 { slowest = (took, c.name) }
            if took > 6 { stuck.append("\(c.name): \(Int(took)) s") }
            runs += 1
        }
        print("fuzz registry: \(runs) of \(all.count) calls in \(Int(Date().timeIntervalSince(started))) s, \(errors) ended in an error; "
              + "slowest \(String(format: "%.1f", slowest.0)) s (\(slowest.1))")
        #expect(stuck.isEmpty, "calls that did not stop within 5 s of Stop: \(stuck)")
        #expect(runs >= min(all.count, 300))
        guard case .success(let result, _) = session.run("1 + 1") else { Issue.record("the session no longer runs"); return }
        #expect(result?.plainText == "2")
    }
}
