import Foundation
import LoupeJSON
import LoupeKernel
import LoupeKernelTestSupport
import Testing

/// The protocol core with the mock interpreter over the in-memory transport:
/// the same signed wire bytes as over ZeroMQ, with no sockets or ports.
@Suite struct ProtocolTests {
    @Test func kernelInfoIsWrappedInBusyAndIdle() throws {
        let harness = try KernelHarness()
        defer { harness.stop() }
        let client = harness.client
        let request = try client.send("kernel_info_request")
        let reply = try #require(try client.reply(to: request))
        #expect(reply.type == "kernel_info_reply")
        #expect(reply.content["protocol_version"]?.stringValue == "5.3")
        #expect(reply.content["implementation"]?.stringValue == "mock")
        let states = try client.outputs(of: request).filter { $0.type == "status" }.map { $0.content["execution_state"]?.stringValue }
        #expect(states == ["busy", "idle"])
    }

    @Test func executePublishesInputStreamAndResultInOrder() throws {
        let harness = try KernelHarness()
        defer { harness.stop() }
        let client = harness.client
        let request = try client.send("execute_request", ["code": "hello", "silent": false, "store_history": true,
                                                          "user_expressions": ["e": "abc"]])
        let reply = try #require(try client.reply(to: request))
        #expect(reply.content["status"]?.stringValue == "ok")
        #expect(reply.content["execution_count"]?.intValue == 1)
        #expect(reply.content["user_expressions"]?["e"]?["data"]?["text/plain"]?.stringValue == "ABC")
        let types = try client.outputs(of: request).map(\.type)
        #expect(types == ["status", "execute_input", "stream", "execute_result", "status"])
    }

    @Test func silentExecutionPublishesNothingAndKeepsTheCount() throws {
        let harness = try KernelHarness()
        defer { harness.stop() }
        let client = harness.client
        func count(_ request: Message) throws -> Int? { try client.reply(to: request)?.content["execution_count"]?.intValue }
        #expect(try count(client.send("execute_request", ["code": "a", "silent": false])) == 1)
        let silent = try client.send("execute_request", ["code": "b", "silent": true])
        #expect(try count(silent) == 1)
        #expect(try client.outputs(of: silent).map(\.type) == ["status", "status"])
        #expect(try count(client.send("execute_request", ["code": "c", "store_history": false])) == 1)
        #expect(try count(client.send("execute_request", ["code": "d"])) == 2)
    }

    @Test func badlySignedMessagesAreDroppedAndTheKernelStillAnswers() throws {
        let harness = try KernelHarness()
        defer { harness.stop() }
        let client = harness.client
        let forged = client.request("execute_request", ["code": "evil"])
        try client.sendFrames(WireCodec(signer: Signer(key: "wrong-key")).encode(forged))
        let unsignedRequest = client.request("execute_request", ["code": "evil2"])
        var unsigned = WireCodec(signer: Signer(key: "")).encode(unsignedRequest)
        try client.sendFrames(unsigned)
        unsigned[1] = Array("not-hex".utf8)
        try client.sendFrames(unsigned)
        // The shell is served in order: had any forged message been taken, its
        // reply would be waiting before this one.
        let info = try client.send("kernel_info_request")
        #expect(try client.reply(to: info)?.type == "kernel_info_reply")
        #expect(client.strays[.shell, default: []].isEmpty)
        _ = try client.outputs(of: info)
        let forgedIDs = [forged.id, unsignedRequest.id]
        #expect(!client.strays[.iopub, default: []].contains { forgedIDs.contains($0.parentHeader["msg_id"]?.stringValue ?? "") })
        #expect(!harness.mock.executed.contains("evil") && !harness.mock.executed.contains("evil2"))
    }

    @Test func malformedFramesNeverCrashTheKernel() throws {
        let harness = try KernelHarness(key: "")
        defer { harness.stop() }
        let client = harness.client
        let d = WireCodec.delimiter
        let garbage: [[[UInt8]]] = [
            [Array("just one frame".utf8)],
            [d, [], Array("{}".utf8)],
            [d, [], Array("{not json".utf8), Array("{}".utf8), Array("{}".utf8), Array("{}".utf8)],
            [d, [], [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D], Array("{}".utf8), Array("{}".utf8), Array("{}".utf8)],
            [d, [], Array("[1, 2]".utf8), Array("{}".utf8), Array("{}".utf8), Array("{}".utf8)],
            [d, [], Array(#"{"msg_type": "execute_request", "msg_id": "x"}"#.utf8), Array("{}".utf8), Array("{}".utf8),
             Array(repeating: UInt8(ascii: "["), count: 4_000_000)],
        ]
        for frames in garbage { try client.sendFrames(frames) }
        let info = try client.send("kernel_info_request")
        #expect(try client.reply(to: info)?.type == "kernel_info_reply")
    }

    @Test func stopOnErrorAbortsQueuedExecutes() throws {
        let harness = try KernelHarness()
        defer { harness.stop() }
        let client = harness.client
        let failing = client.request("execute_request", ["code": "fail", "stop_on_error": true])
        let queued = client.request("execute_request", ["code": "after"])
        try client.send([failing, queued])
        #expect(try client.reply(to: failing)?.content["status"]?.stringValue == "error")
        #expect(try client.reply(to: queued)?.content["status"]?.stringValue == "aborted")
        #expect(!harness.mock.executed.contains("after"))
        let later = try client.send("execute_request", ["code": "later"])
        #expect(try client.reply(to: later)?.content["status"]?.stringValue == "ok")
    }

    @Test func interruptRequestOnControlStopsARunningCommand() throws {
        let harness = try KernelHarness()
        defer { harness.stop() }
        let client = harness.client
        let running = try client.send("execute_request", ["code": "wait"])
        try awaitRunning(running, client)
        let interrupt = try client.send("interrupt_request", on: .control)
        #expect(try client.reply(to: interrupt, on: .control)?.type == "interrupt_reply")
        // Left alone, "wait" ends with "ok" after 5 s.
        #expect(try client.reply(to: running)?.content["ename"]?.stringValue == "Interrupted")
    }

    @Test func completeInspectIsCompleteHistoryAndComms() throws {
        let harness = try KernelHarness()
        defer { harness.stop() }
        let client = harness.client
        func reply(_ type: String, _ content: JSON = [:]) throws -> Message {
            try #require(try client.reply(to: client.send(type, content)))
        }
        let completion = try reply("complete_request", ["code": "mock", "cursor_pos": 4])
        #expect(completion.content["matches"] == ["mockery", "mocking"])
        #expect(completion.content["cursor_end"]?.intValue == 4)
        #expect(try reply("inspect_request", ["code": "known", "cursor_pos": 2, "detail_level": 0]).content["found"] == .bool(true))
        let completeness = try reply("is_complete_request", ["code": "x {"])
        #expect(completeness.content["status"] == "incomplete" && completeness.content["indent"] == "  ")
        for code in ["one", "two", "one"] { _ = try reply("execute_request", ["code": .string(code)]) }
        #expect(try reply("history_request", ["hist_access_type": "tail", "n": 2, "output": false, "raw": true]).content["history"]
                == [[1, 2, "two"], [1, 3, "one"]])
        #expect(try reply("history_request", ["hist_access_type": "search", "pattern": "*o*", "unique": true, "output": true,
                                              "raw": true]).content["history"]
                == [[1, 2, ["two", "TWO"]], [1, 3, ["one", "ONE"]]])
        #expect(try reply("history_request", ["hist_access_type": "range", "session": 0, "start": 2, "stop": 3, "output": false,
                                              "raw": true]).content["history"]
                == [[1, 2, "two"]])
        #expect(try reply("comm_info_request").content["comms"] == [:])
        let open = try client.send("comm_open", ["comm_id": "c1", "target_name": "nobody", "data": [:]])
        #expect(try client.outputs(of: open).contains { $0.type == "comm_close" && $0.content["comm_id"] == "c1" })
    }

    @Test func shutdownRepliesAndStopsTheLoops() throws {
        let harness = try KernelHarness()
        let client = harness.client
        let shutdown = try client.send("shutdown_request", ["restart": true], on: .control)
        let reply = try #require(try client.reply(to: shutdown, on: .control))
        #expect(reply.content["restart"] == .bool(true))
        #expect(harness.served(within: 3))
    }
}

/// Returns once the mock's "wait" command has said, on iopub, that it is running.
func awaitRunning(_ request: Message, _ client: TestClient) throws {
    let started = try client.next(on: .iopub, timeoutMs: 5000) {
        $0.parentHeader["msg_id"]?.stringValue == request.id && $0.type == "stream"
    }
    if started == nil { throw HarnessError("the command never said it was running") }
}
