import Foundation
import LoupeJSON
import LoupeKernel
import Testing

/// The real kernel's transport end to end: a kernel bound on loopback, driven
/// through ZeroMQ sockets as jupyter_client connects.
@Suite(.serialized) struct ZMQTransportTests {
    @Test func executeOverRealSockets() throws {
        let harness = try KernelHarness(over: .zeroMQ)
        defer { harness.stop() }
        let client = harness.client
        let request = try client.send("execute_request", ["code": "hello"])
        let reply = try #require(try client.reply(to: request))
        #expect(reply.content["status"]?.stringValue == "ok")
        #expect(try client.outputs(of: request).map(\.type) == ["status", "execute_input", "stream", "execute_result", "status"])
    }

    @Test func badlySignedMessagesAreDroppedOverRealSockets() throws {
        let harness = try KernelHarness(over: .zeroMQ)
        defer { harness.stop() }
        let client = harness.client
        let forged = client.request("execute_request", ["code": "evil"])
        try client.sendFrames(WireCodec(signer: Signer(key: "wrong-key")).encode(forged))
        let info = try client.send("kernel_info_request")
        #expect(try client.reply(to: info)?.type == "kernel_info_reply")
        #expect(client.strays[.shell, default: []].isEmpty)
        #expect(!harness.mock.executed.contains("evil"))
    }

    @Test func heartbeatEchoesWhileACommandRuns() throws {
        let harness = try KernelHarness(over: .zeroMQ)
        defer { harness.stop() }
        let client = harness.client
        let running = try client.send("execute_request", ["code": "wait"])
        try awaitRunning(running, client)
        try client.sendFrames([Array("ping".utf8)], on: .heartbeat)
        #expect(try client.end.receive(on: .heartbeat, timeoutMs: 2000) == [Array("ping".utf8)])
        let interrupt = try client.send("interrupt_request", on: .control)
        #expect(try client.reply(to: interrupt, on: .control)?.type == "interrupt_reply")
        #expect(try client.reply(to: running)?.content["ename"]?.stringValue == "Interrupted")
    }

    @Test func shutdownOverControlEndsTheKernel() throws {
        let harness = try KernelHarness(over: .zeroMQ)
        let client = harness.client
        let shutdown = try client.send("shutdown_request", ["restart": false], on: .control)
        #expect(try client.reply(to: shutdown, on: .control)?.content["restart"] == .bool(false))
        #expect(harness.served(within: 3))
    }
}
