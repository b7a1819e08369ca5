import Foundation

/// A seeded mutation fuzzer's engine: deterministic (the same seed gives the
/// same inputs on every machine), with mutations aimed at what crashes
/// interpreters and decoders: deep nesting, long chains, huge numbers,
/// splices of valid inputs, and flipped, dropped and doubled bytes.
package struct Mutator {
    var state: UInt64
    package let corpus: [[UInt8]]
    /// Fragments worth inserting: brackets, operators, extreme numbers.
    package let dictionary: [[UInt8]]

    package init(seed: UInt64, corpus: [[UInt8]], dictionary: [String]) {
        state = seed
        self.corpus = corpus.isEmpty ? [[]] : corpus
        self.dictionary = dictionary.map { Array($0.utf8) }
    }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    package mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }

    /// One new input: a corpus entry with one to four mutations.
    package mutating func input() -> [UInt8] {
        var bytes = corpus[below(corpus.count)]
        for _ in 0...below(4) { mutate(&bytes) }
        return bytes
    }

    package mutating func mutate(_ bytes: inout [UInt8]) {
        let at = below(bytes.count + 1)
        switch below(9) {
        case 0 where !bytes.isEmpty:   // flip a bit
            let i = below(bytes.count)
            bytes[i] ^= UInt8(1 << below(8))
        case 1:                        // insert a fragment
            bytes.insert(contentsOf: dictionary[below(dictionary.count)], at: at)
        case 2 where !bytes.isEmpty:   // delete a run
            let end = min(bytes.count, at + 1 + below(16))
            bytes.removeSubrange(min(at, bytes.count - 1)..<end)
        case 3 where !bytes.isEmpty:   // repeat a run many times: long chains
            let start = below(bytes.count), end = min(bytes.count, start + 1 + below(8))
            let run = Array(bytes[start..<end])
            bytes.insert(contentsOf: Array(repeating: run, count: 1 + below(3000)).joined(), at: end)
        case 4:                        // nest a fragment deeply
            let open = ["(", "[", "{", "\"\\(", "-"][below(5)]
            let close = [")", "]", "}", ")\"", ""][["(", "[", "{", "\"\\(", "-"].firstIndex(of: open)!]
            let n = 1 + below(5000)
            bytes = Array(String(repeating: open, count: n).utf8) + bytes + Array(String(repeating: close, count: n).utf8)
        case 5:                        // splice with another entry
            let other = corpus[below(corpus.count)]
            let cut = below(other.count + 1)
            bytes = Array(bytes[..<at]) + Array(other[cut...])
        case 6 where !bytes.isEmpty:   // a random byte
            bytes[below(bytes.count)] = UInt8(truncatingIfNeeded: next())
        case 7:                        // a number at its limits
            let numbers = ["9223372036854775807", "-9223372036854775808", "1e308", "1e-320", "0", "-1", "4294967296",
                           "99999999999999999999999", "0.0", "nan"]
            bytes.insert(contentsOf: Array(numbers[below(numbers.count)].utf8), at: at)
        default:                       // duplicate the whole input
            bytes += bytes.prefix(1 << 16)
        }
    }

    /// The files of a corpus folder, sorted by name.
    package static func corpus(at folder: URL) -> [[UInt8]] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()) ?? []
        return names.compactMap { try? Array(Data(contentsOf: folder.appendingPathComponent($0))) }
    }

    /// How long a fuzz test runs: LOUPE_FUZZ_SECONDS, else `standard`.
    package static func budget(standard: Double) -> Double {
        ProcessInfo.processInfo.environment["LOUPE_FUZZ_SECONDS"].flatMap(Double.init) ?? standard
    }
}
