/// The train / validation / test partition that Waterbirds and CelebA both
/// number 0, 1 and 2 in their metadata.
package enum BenchmarkSplit: String, CaseIterable {
    case train, val, test, all

    package var code: Int? {
        switch self {
        case .train: return 0
        case .val: return 1
        case .test: return 2
        case .all: return nil
        }
    }

    package func contains(_ code: Int) -> Bool { self.code.map { $0 == code } ?? true }

    /// Parses a split name; "validation" is accepted for "val".
    package static func named(_ name: String) -> BenchmarkSplit? {
        let n = name.lowercased()
        return n == "validation" ? .val : BenchmarkSplit(rawValue: n)
    }

    package static var names: String { allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ") }
}

/// Keeps at most `limit` items spread evenly over the list, so that a small
/// sample of a benchmark still covers its classes and groups (both
/// benchmarks list their images sorted by class).
package func evenlySpaced<T>(_ items: [T], limit: Int?) -> [T] {
    guard let limit, limit < items.count else { return items }
    return (0..<limit).map { items[$0 * items.count / limit] }
}
