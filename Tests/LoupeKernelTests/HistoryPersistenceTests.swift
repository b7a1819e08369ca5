import Foundation
import LoupeJSON
import LoupeKernel
import Testing

/// History survives a kernel restart: a new kernel on the same file is the
/// next session, and tail, range (by absolute and relative session) and
/// search reach the earlier one's inputs and outputs.
@Suite(.serialized) struct HistoryPersistenceTests {
    static func folder() -> String {
        let path = NSTemporaryDirectory() + "loupe-history-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func run(_ codes: [String], history: HistoryStore) throws {
        let harness = try KernelHarness(history: history)
        defer { harness.stop() }
        for code in codes {
            _ = try harness.client.reply(to: harness.client.send("execute_request", ["code": .string(code)]))
        }
    }

    static func ask(_ history: HistoryStore, _ request: [String: JSON]) throws -> JSON? {
        let harness = try KernelHarness(history: history)
        defer { harness.stop() }
        return try harness.client.reply(to: harness.client.send("history_request", .object(request)))?.content["history"]
    }

    @Test func aRestartedKernelSeesEarlierSessions() throws {
        let store = HistoryStore(path: Self.folder() + "/nested/history.jsonl")
        try Self.run(["one", "two"], history: store)
        try Self.run(["three"], history: store)
        // The asking kernel is session 3; its own history is empty.
        #expect(try Self.ask(store, ["hist_access_type": "tail", "n": 10, "output": true, "raw": true])
                == [[1, 1, ["one", "ONE"]], [1, 2, ["two", "TWO"]], [2, 1, ["three", "THREE"]]])
        #expect(try Self.ask(store, ["hist_access_type": "range", "session": 1, "start": 2, "stop": 3, "output": false, "raw": true])
                == [[1, 2, "two"]])
        // A kernel that ran nothing leaves no trace, so each asking kernel is session 3 and -1 is session 2.
        #expect(try Self.ask(store, ["hist_access_type": "range", "session": -1, "start": 1, "output": false, "raw": true])
                == [[2, 1, "three"]])
        #expect(try Self.ask(store, ["hist_access_type": "search", "pattern": "t*", "output": false, "raw": true])
                == [[1, 2, "two"], [2, 1, "three"]])
    }

    @Test func aTornOrForeignLineIsSkipped() throws {
        let path = Self.folder() + "/history.jsonl"
        let lines = #"{"session":4,"line":1,"input":"kept"}"# + "\nnot json\n" + #"{"session":4,"line":2,"inp"#
        try Data(lines.utf8).write(to: URL(fileURLWithPath: path))
        let store = HistoryStore(path: path)
        #expect(try Self.ask(store, ["hist_access_type": "tail", "n": 5, "output": false, "raw": true]) == [[4, 1, "kept"]])
        // The next kernel after session 4 is session 5.
        try Self.run(["after"], history: store)
        #expect(try Self.ask(store, ["hist_access_type": "tail", "n": 1, "output": false, "raw": true]) == [[5, 1, "after"]])
    }

    @Test func theStandardLocationFollowsTheEnvironment() {
        #expect(HistoryStore.standard(environment: ["LOUPE_HISTORY": "/x/h.jsonl", "HOME": "/home/u"])?.path == "/x/h.jsonl")
        #expect(HistoryStore.standard(environment: ["LOUPE_HISTORY": "off", "HOME": "/home/u"]) == nil)
        #expect(HistoryStore.standard(environment: ["XDG_DATA_HOME": "/data", "HOME": "/home/u"])?.path == "/data/loupe/history.jsonl")
        #expect(HistoryStore.standard(environment: ["HOME": "/home/u"])?.path == "/home/u/.local/share/loupe/history.jsonl")
    }

    @Test func anUnwritableFileNeverFailsAnExecution() throws {
        // A folder where the file should be: every append fails; executions still succeed.
        let path = Self.folder() + "/blocked"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let harness = try KernelHarness(history: HistoryStore(path: path))
        defer { harness.stop() }
        let client = harness.client
        #expect(try client.reply(to: client.send("execute_request", ["code": "one"]))?.content["status"] == "ok")
        let history = try client.send("history_request", ["hist_access_type": "tail", "n": 1, "output": false, "raw": true])
        #expect(try client.reply(to: history)?.content["history"] == [[1, 1, "one"]])
    }
}
