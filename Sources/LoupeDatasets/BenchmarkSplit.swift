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

/// Keeps at most `limit` items with the groups as even as the data allows:
/// each group gets an equal share, a group with fewer items gives up what it
/// cannot use to the others, and each group's share is spread evenly over
/// its items. Worst-group accuracy is read off the smallest group, so a
/// sample that keeps the data's proportions (a handful of blond men in
/// CelebA) would leave it to a few images. Order of the list is kept.
package func stratified<T>(_ items: [T], limit: Int?, group: (T) -> String) -> [T] {
    guard let limit, limit < items.count else { return items }
    var members: [String: [Int]] = [:]
    for (i, item) in items.enumerated() { members[group(item), default: []].append(i) }
    let names = members.keys.sorted { (members[$0]!.count, $0) < (members[$1]!.count, $1) }
    var left = limit, share: [String: Int] = [:]
    for (k, name) in names.enumerated() {
        // Rounding up, rarest first: when the limit is below the number of
        // groups, the rare groups are the ones kept.
        let remaining = names.count - k
        let take = min(members[name]!.count, (left + remaining - 1) / remaining)
        share[name] = take
        left -= take
    }
    var kept: [Int] = []
    for name in names { kept += evenlySpaced(members[name]!, limit: share[name]!) }
    return kept.sorted().map { items[$0] }
}

/// Keeps at most `limit` items spread evenly over the list, so that a small
/// sample of a benchmark still covers its classes and groups (both
/// benchmarks list their images sorted by class).
package func evenlySpaced<T>(_ items: [T], limit: Int?) -> [T] {
    guard let limit, limit < items.count else { return items }
    return (0..<limit).map { items[$0 * items.count / limit] }
}
