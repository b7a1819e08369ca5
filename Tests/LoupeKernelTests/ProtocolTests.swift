import CZMQ
import Foundation
import LoupeJSON
import LoupeKernel
import Testing

@Suite(.serialized) struct ProtocolTests {
    @Test func kernelInfoIsWrappedInBusyAndIdle() throws {
        let (kernel, _, _) = try startKernel()
        defer { kernel.stop() }
        let client = try TestClient(ports: kernel.ports, key: "secret-key")
        let request = try client.send("kernel_info_request")
        let reply = try #require(try client.reply())
        #expect(reply.type == "kernel_info_reply")
        #expect(reply.parentHeader["msg_id"]?.stringValue == request.id)
        #expect(reply.content["protocol_version"]?.stringValue == "5.3")
        #expect(reply.content["implementation"]?.stringValue == "mock")
        let states = try client.outputs(of: request).filter { $0.type == "status" }.map { $0.content["execution_state"]?.stringValue }
        #expect(states == ["busy", "idle"])
    }

    @Test func executePublishesInputStreamAndResultInOrder() throws {
        let (kernel, _, _) = try startKernel()
        defer { kernel.stop() }
        let client = try TestClient(ports: kernel.ports, key: "secret-key")
        let request = try client.send("execute_request", ["code": "hello", "silent": false, "store_history": true,
                                                          "user_expressions": ["e": "abc"]])
        let reply = try #require(try client.reply())
        #expect(reply.content["status"]?.stringValue == "ok")
        #expect(reply.content["execution_count"]?.intValue == 1)
        #expect(reply.content["user_expressions"]?["e"]?["data"]?["text/plain"]?.stringValue == "ABC")
        let types = try client.outputs(of: request).map(\.type)
        #expect(types == ["status", "execute_input", "stream", "execute_result", "status"])
    }

    @Test func silentExecutionPublishesNothingAndKeepsTheCount() throws {
        let (kernel, _, _) = try startKernel()
        defer { kernel.stop() }
        let client = try TestClient(ports: kernel.ports, key: "secret-key")
        try client.send("execute_request", ["code": "a", "silent": false])
        #expect(try client.reply()?.content["execution_count"]?.intValue == 1)
        let silent = try client.send("execute_request", ["code": "b", "silent": true])
        #expect(try client.reply()?.content["execution_count"]?.intValue == 1)
        #expect(try client.outputs(of: silent).map(\.type) == ["status", "status"])
        try client.send("execute_request", ["code": "c", "store_history": false])
        #expect(try client.reply()?.content["execution_count"]?.intValue == 1)
        try client.send("execute_request", ["code": "d"])
        #expect(try client.reply()?.content["execution_count"]?.intValue == 2)
    }

    @Test func badlySignedMessagesAreDroppedAndTheKernelStillAnswers() throws {
        let (kernel, mock, _) = try startKernel()
        defer { kernel.stop() }
        let client = try TestClient(ports: kernel.ports, key: "secret-key")
        let forger = WireCodec(signer: Signer(key: "wrong-key"))
        try client.shell.send(forger.encode(client.request("execute_request", ["code": "evil"])))
        var unsigned = WireCodec(signer: Signer(key: "")).encode(client.request("execute_request", ["code": "evil2"]))
        try client.shell.send(unsigned)
        unsigned[1] = Array("not-hex".utf8)
        try client.shell.send(unsigned)
        #expect(try client.reply(timeoutMs: 500) == nil)
        #expect(!mock.executed.contains("evil") && !mock.executed.contains("evil2"))
        try client.send("kernel_info_request")
        #expect(try client.reply()?.type == "kernel_info_reply")
    }

    @Test func malformedFramesNeverCrashTheKernel() throws {
        let (kernel, _, _) = try startKernel(key: "")
        defer { kernel.stop() }
        let client = try TestClient(ports: kernel.ports, key: "")
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
        for frames in garbage { try client.shell.send(frames) }
        try client.send("kernel_info_request")
        var reply = try client.reply()
        // The message with a too-deep body is answered with nothing; skip any stray reply.
        while let r = reply, r.type != "kernel_info_reply" { reply = try client.reply() }
        #expect(reply?.type == "kernel_info_reply")
    }

    @Test func stopOnErrorAbortsQueuedExecutes() throws {
        let (kernel, mock, _) = try startKernel()
        defer { kernel.stop() }
        let client = try TestClient(ports: kernel.ports, key: "secret-key")
        try client.send("execute_request", ["code": "fail", "stop_on_error": true])
        try client.send("execute_request", ["code": "after"])
        #expect(try client.reply()?.content["status"]?.stringValue == "error")
        #expect(try client.reply()?.content["status"]?.stringValue == "aborted")
        #expect(!mock.executed.contains("after"))
        try client.send("execute_request", ["code": "later"])
        #expect(try client.reply()?.content["status"]?.stringValue == "ok")
    }

    @Test func interruptRequestOnControlStopsARunningCommand() throws {
        let (kernel, _, _) = try startKernel()
        defer { kernel.stop() }
        let client = try TestClient(ports: kernel.ports, key: "secret-key")
        let started = Date()
        try client.send("execute_request", ["code": "wait"])
        Thread.sleep(forTimeInterval: 0.2)
        try client.send("interrupt_request", on: client.control)
        #expect(try client.reply(on: client.control)?.type == "interrupt_reply")
        let reply = try #require(try client.reply())
        #expect(reply.content["ename"]?.stringValue == "Interrupted")
        #expect(Date().timeIntervalSince(started) < 3)
    }

    @Test func heartbeatEchoesWhileACommandRuns() throws {
        let (kernel, _, _) = try startKernel()
        defer { kernel.stop() }
        let client = try TestClient(ports: kernel.ports, key: "secret-key")
        try client.send("execute_request", ["code": "wait"])
        try client.heartbeat.send([Array("ping".utf8)])
        #expect(try client.heartbeat.receive(timeoutMs: 2000) == [Array("ping".utf8)])
        try client.send("interrupt_request", on: client.control)
    }

    @Test func completeInspectIsCompleteHistoryAndComms() throws {
        let (kernel, _, _) = try startKernel()
        defer { kernel.stop() }
        let client = try TestClient(ports: kernel.ports, key: "secret-key")
        try client.send("complete_request", ["code": "mock", "cursor_pos": 4])
        let completion = try #require(try client.reply())
        #expect(completion.content["matches"] == ["mockery", "mocking"])
        #expect(completion.content["cursor_end"]?.intValue == 4)
        try client.send("inspect_request", ["code": "known", "cursor_pos": 2, "detail_level": 0])
        #expect(try client.reply()?.content["found"] == .bool(true))
        try client.send("is_complete_request", ["code": "x {"])
        let completeness = try #require(try client.reply())
        #expect(completeness.content["status"] == "incomplete" && completeness.content["indent"] == "  ")
        for code in ["one", "two", "one"] {
            try client.send("execute_request", ["code": .string(code)])
            _ = try client.reply()
        }
        try client.send("history_request", ["hist_access_type": "tail", "n": 2, "output": false, "raw": true])
        #expect(try client.reply()?.content["history"] == [[1, 2, "two"], [1, 3, "one"]])
        try client.send("history_request", ["hist_access_type": "search", "pattern": "*o*", "unique": true, "output": true, "raw": true])
        #expect(try client.reply()?.content["history"] == [[1, 2, ["two", "TWO"]], [1, 3, ["one", "ONE"]]])
        try client.send("history_request", ["hist_access_type": "range", "session": 0, "start": 2, "stop": 3, "output": false, "raw": true])
        #expect(try client.reply()?.content["history"] == [[1, 2, "two"]])
        try client.send("comm_info_request")
        #expect(try client.reply()?.content["comms"] == [:])
        let open = try client.send("comm_open", ["comm_id": "c1", "target_name": "nobody", "data": [:]])
        #expect(try client.outputs(of: open).contains { $0.type == "comm_close" && $0.content["comm_id"] == "c1" })
    }

    @Test func shutdownRepliesAndStopsTheLoops() throws {
        let (kernel, _, thread) = try startKernel()
        let client = try TestClient(ports: kernel.ports, key: "secret-key")
        try client.send("shutdown_request", ["restart": true], on: client.control)
        let reply = try #require(try client.reply(on: client.control))
        #expect(reply.content["restart"] == .bool(true))
        let deadline = Date().addingTimeInterval(3)
        while !thread.isFinished && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(thread.isFinished)
    }
}
