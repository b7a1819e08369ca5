import Foundation
import LoupeJSON
import LoupeKernel
import LoupeKernelTestSupport
import Testing

/// Comms both ways through the protocol core, against the mock interpreter:
/// targets the front end opens, comms the kernel opens, messages with
/// buffers, closing from either side, comm_info, and when handlers run.
@Suite struct CommTests {
    /// What a comm handler saw, for the test to wait on.
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [String] = []
        private let arrived = DispatchSemaphore(value: 0)
        func add(_ entry: String) { lock.withLock { entries.append(entry) }; arrived.signal() }
        func next(_ seconds: Double = 5) -> String? {
            guard arrived.wait(timeout: .now() + seconds) == .success else { return nil }
            return lock.withLock { entries.removeFirst() }
        }
    }

    func comms(_ client: TestClient, target: String? = nil) throws -> JSON? {
        try client.reply(to: client.send("comm_info_request", target.map { ["target_name": .string($0)] } ?? [:]))?.content["comms"]
    }

    @Test func theFrontEndOpensMessagesAndClosesACommToARegisteredTarget() throws {
        let harness = try KernelHarness()
        let client = harness.client, log = Log()
        harness.kernel.registerCommTarget("echo") { comm, data, buffers in
            log.add("open \(data.serialized()) \(buffers)")
            comm.onMessage = { data, buffers in
                log.add("message \(data.serialized())")
                // Answers with the buffers reversed, so both directions carry bytes.
                comm.send(["echo": data], buffers: buffers.reversed())
            }
            comm.onClose = { data in log.add("close \(data.serialized())") }
        }
        var open = client.request("comm_open", ["comm_id": "f1", "target_name": "echo", "data": ["a": 1]])
        open.buffers = [[9, 8]]
        try client.send([open])
        _ = try client.outputs(of: open)
        #expect(log.next() == #"open {"a":1} [[9, 8]]"#)
        #expect(try comms(client) == ["f1": ["target_name": "echo"]])
        #expect(try comms(client, target: "other") == [:])

        var message = client.request("comm_msg", ["comm_id": "f1", "data": ["method": "update"]])
        message.buffers = [[1], [2, 3]]
        try client.send([message])
        let outputs = try client.outputs(of: message)
        #expect(log.next() == #"message {"method":"update"}"#)
        let echo = try #require(outputs.first { $0.type == "comm_msg" })
        #expect(echo.content["data"] == ["echo": ["method": "update"]])
        #expect(echo.buffers == [[2, 3], [1]])

        let close = try client.send("comm_close", ["comm_id": "f1", "data": ["bye": true]])
        _ = try client.outputs(of: close)
        #expect(log.next() == #"close {"bye":true}"#)
        #expect(try comms(client) == [:])
        harness.stop()
    }

    @Test func theKernelOpensACommAndHearsBackOnIt() throws {
        let harness = try KernelHarness()
        let client = harness.client, log = Log()
        let info = try client.send("kernel_info_request")
        _ = try client.reply(to: info)
        let comm = harness.kernel.openComm(target: "jupyter.widget", data: ["state": ["value": 3]],
                                          metadata: ["version": "2.1.0"], buffers: [[7, 7, 7]])
        comm.onMessage = { data, _ in log.add(data.serialized()) }
        let opened = try #require(try client.next(on: .iopub, timeoutMs: 5000) { $0.type == "comm_open" })
        #expect(opened.content["comm_id"]?.stringValue == comm.id)
        #expect(opened.content["target_name"] == "jupyter.widget")
        #expect(opened.metadata["version"] == "2.1.0")
        #expect(opened.buffers == [[7, 7, 7]])
        #expect(try comms(client, target: "jupyter.widget") == .object([comm.id: ["target_name": "jupyter.widget"]]))

        let message = try client.send("comm_msg", ["comm_id": .string(comm.id), "data": ["method": "request_state"]])
        _ = try client.outputs(of: message)
        #expect(log.next() == #"{"method":"request_state"}"#)

        comm.close(["reason": "done"])
        let closed = try #require(try client.next(on: .iopub, timeoutMs: 5000) { $0.type == "comm_close" })
        #expect(closed.content == ["comm_id": .string(comm.id), "data": ["reason": "done"]])
        #expect(try comms(client) == [:])
        harness.stop()
    }

    /// A comm message sent while a cell runs waits for it: handlers run on
    /// the shell thread's next turn, never beside the cell.
    @Test func messagesDuringACellAreHandledAfterIt() throws {
        let harness = try KernelHarness()
        let client = harness.client, log = Log()
        let mock = harness.mock
        harness.kernel.registerCommTarget("probe") { comm, _, _ in
            comm.onMessage = { _, _ in log.add(mock.running ? "during the cell" : "after the cell") }
        }
        let open = try client.send("comm_open", ["comm_id": "p1", "target_name": "probe", "data": [:]])
        _ = try client.outputs(of: open)
        let cell = try client.send("execute_request", ["code": "wait"])
        try awaitRunning(cell, client)
        try client.send("comm_msg", ["comm_id": "p1", "data": [:]])
        _ = try client.send("interrupt_request", on: .control)
        _ = try client.reply(to: cell)
        #expect(log.next() == "after the cell")
        harness.stop()
    }

    /// Messages for comms that are not open are dropped and the kernel carries on.
    @Test func messagesToUnknownCommsAreDropped() throws {
        let harness = try KernelHarness()
        let client = harness.client
        let stray = try client.send("comm_msg", ["comm_id": "nope", "data": [:]])
        #expect(try client.outputs(of: stray).map(\.type) == ["status", "status"])
        let close = try client.send("comm_close", ["comm_id": "nope", "data": [:]])
        #expect(try client.outputs(of: close).map(\.type) == ["status", "status"])
        #expect(try client.reply(to: client.send("kernel_info_request")) != nil)
        harness.stop()
    }
}
