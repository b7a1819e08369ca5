import LoupeDatasets
import Testing

/// `limit:` on the benchmarks keeps groups as even as the data allows, so
/// the worst group is not left with the handful of images a proportional
/// sample would give it.
@Suite struct StratifiedSampleTests {
    @Test func rareGroupsKeepAllTheyHaveAndTheRestShareEvenly() {
        // CelebA-like: 4 blond men among 1,000 faces.
        let items = (0..<1000).map { i in i < 4 ? "blond man" : i < 150 ? "blond woman" : i < 600 ? "dark man" : "dark woman" }
        let kept = stratified(items, limit: 100) { $0 }
        let counts = Dictionary(grouping: kept, by: { $0 }).mapValues(\.count)
        #expect(kept.count == 100)
        #expect(counts["blond man"] == 4)
        #expect(counts["blond woman"] == 32 && counts["dark man"] == 32 && counts["dark woman"] == 32)
        // The proportional sample it replaces would keep none or one blond man.
        #expect(evenlySpaced(items, limit: 100).filter { $0 == "blond man" }.count <= 1)
    }

    @Test func noLimitOrALargeOneKeepsEverythingInOrder() {
        let items = ["a", "b", "a", "c"]
        #expect(stratified(items, limit: nil) { $0 } == items)
        #expect(stratified(items, limit: 10) { $0 } == items)
        #expect(stratified(items, limit: 3) { $0 } == ["a", "b", "c"])
    }
}
