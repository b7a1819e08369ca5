import LoupeBuiltins
import LoupeLanguage
import LoupeSessionTestSupport
import Testing

/// The registry's rules: a name is added once, members may be attached to a
/// type before its declaration, and the standard registry breaks neither.
@Suite struct RegistryTests {
    static func function(_ name: String, returns value: Value) -> BuiltinFunction {
        BuiltinFunction(name, [], returns: "Int", doc: "test") { _ in value }
    }

    @Test func theStandardRegistryHasNoConflicts() {
        #expect(Registry.standard.conflicts == [])
        #expect(Registry.sandboxed.conflicts == [])
    }

    @Test func aSecondNameIsRefusedAndTheFirstKept() {
        let r = Registry()
        r.add(Self.function("answer", returns: .int(1)))
        r.add(Self.function("answer", returns: .int(2)))
        r.add(BuiltinType("Thing", doc: "first"))
        r.add(BuiltinType("Thing", doc: "second"))
        r.type("Thing").addMethod(Self.function("size", returns: .int(3)))
        r.type("Thing").addMethod(Self.function("size", returns: .int(4)))
        #expect(r.conflicts.sorted() == ["Thing is added twice", "Thing.size is added twice", "answer is added twice"])
        #expect(r.types["Thing"]?.doc == "first")
        let s = Session(registry: r)
        #expect(result(s, "answer()") == "1")
    }

    @Test func membersMayComeBeforeTheirType() {
        let r = Registry()
        r.type("Thing").addStatic(Self.function("make", returns: .int(7)))
        #expect(r.conflicts == ["Thing has members but is never declared"])
        r.add(BuiltinType("Thing", doc: "declared after its member"))
        #expect(r.conflicts == [])
        #expect(r.types["Thing"]?.doc == "declared after its member")
        #expect(result(Session(registry: r), "Thing.make()") == "7")
    }
}
