import ArgumentParser
import Foundation
import LoupeToyWorld

struct ScenesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenes", abstract: "Write toy-world scenes as PNG files with captions and attributes (JSON lines and CSV).")

    @Option(help: "How many scenes.") var count = 256
    @Option(help: "The seed; the same seed always gives the same scenes.") var seed = 0
    @Option(help: "The folder to write into (created if missing).") var out: String
    @Option(help: "If set (e.g. 0.95), how often the shape group agrees with the background habitat.") var agreement: Double?
    @Option(help: "Fraction of scenes with a word drawn on them.") var words = 0.25

    func validate() throws {
        guard (1...1_000_000).contains(count) else { throw ValidationError("--count must be between 1 and 1,000,000") }
        guard seed >= 0 else { throw ValidationError("--seed must not be negative") }
        if let a = agreement, !(0...1).contains(a) { throw ValidationError("--agreement is a fraction between 0 and 1") }
        guard (0...1).contains(words) else { throw ValidationError("--words is a fraction between 0 and 1") }
    }

    func run() throws {
        let config = WorldConfig(split: agreement.map { .correlated(agreement: $0) } ?? .uniform, wordProbability: words)
        let started = Date()
        try SceneWriter.writeScenes(count: count, seed: UInt64(seed), config: config, to: out) { done, total in
            FileHandle.standardError.write(Data("\rwriting scenes: \(done)/\(total)".utf8))
            return true
        }
        FileHandle.standardError.write(Data("\n".utf8))
        print("Wrote \(count) scenes to \(out) (scenes.jsonl, scenes.csv) in \(String(format: "%.1f", Date().timeIntervalSince(started)))s")
    }
}
