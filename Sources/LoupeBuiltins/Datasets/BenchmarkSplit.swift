import LoupeLanguage
/// The train / validation / test partition that Waterbirds and CelebA both
/// number 0, 1 and 2 in their metadata.
enum BenchmarkSplit: String, CaseIterable {
    case train, val, test, all

    var code: Int? {
        switch self {
        case .train: return 0
        case .val: return 1
        case .test: return 2
        case .all: return nil
        }
    }

    func contains(_ code: Int) -> Bool { self.code.map { $0 == code } ?? true }

    /// Parses a split name; "validation" is accepted for "val".
    static func named(_ name: String) -> BenchmarkSplit? {
        let n = name.lowercased()
        return n == "validation" ? .val : BenchmarkSplit(rawValue: n)
    }

    static var names: String { allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ") }
}

/// Keeps at most `limit` items spread evenly over the list, so that a small
/// sample of a benchmark still covers its classes and groups (both
/// benchmarks list their images sorted by class).
func evenlySpaced<T>(_ items: [T], limit: Int?) -> [T] {
    guard let limit, limit < items.count else { return items }
    return (0..<limit).map { items[$0 * items.count / limit] }
}
