import LoupeJSON
#if canImport(Glibc)
import Glibc
#endif

/// Publishes a running command's output with its request as parent.
final class IOPubOutput: KernelOutput {
    let kernel: Kernel
    let parent: JSON
    let silent: Bool

    init(kernel: Kernel, parent: JSON, silent: Bool) {
        self.kernel = kernel
        self.parent = parent
        self.silent = silent
    }

    func stream(_ name: String, _ text: String) {
        guard !silent, !text.isEmpty else { return }
        kernel.publish("stream", ["name": .string(name), "text": .string(text)], parent: parent)
    }

    func display(data: [String: JSON], metadata: [String: JSON], displayID: String?, update: Bool) {
        guard !silent else { return }
        var content: JSON = ["data": .object(data), "metadata": .object(metadata), "transient": [:]]
        if let id = displayID, case .object(var o) = content {
            o["transient"] = ["display_id": .string(id)]
            content = .object(o)
        }
        kernel.publish(update ? "update_display_data" : "display_data", content, parent: parent)
    }

    func clearOutput(wait: Bool) {
        guard !silent else { return }
        kernel.publish("clear_output", ["wait": .bool(wait)], parent: parent)
    }
}

extension Kernel {
    func execute(_ request: Message, on channel: KernelChannel) {
        let content = request.content
        guard let code = content["code"]?.stringValue else {
            reply(request, on: channel, "execute_reply", [
                "status": "error", "ename": "ProtocolError", "evalue": "execute_request has no 'code' string",
                "traceback": [], "execution_count": .int(executionCount),
            ])
            return
        }
        let silent = content["silent"]?.boolValue ?? false
        let storeHistory = silent ? false : (content["store_history"]?.boolValue ?? true)
        if storeHistory { executionCount += 1 }
        let count = executionCount
        if !silent {
            publish("execute_input", ["code": .string(code), "execution_count": .int(count)], parent: request.header)
        }
        if storeHistory { history.record(line: count, input: code) }

        let output = IOPubOutput(kernel: self, parent: request.header, silent: silent)
        let outcome = interpreter.execute(code, silent: silent, output: output)
        defer { returnFreedMemory() }
        switch outcome {
        case .ok(let result, let payload):
            if let result, !silent {
                publish("execute_result", ["execution_count": .int(count), "data": .object(result.data),
                                           "metadata": .object(result.metadata)], parent: request.header)
                if storeHistory, let text = result.data["text/plain"]?.stringValue { history.recordOutput(line: count, text) }
            }
            var expressions: [String: JSON] = [:]
            for (name, expression) in content["user_expressions"]?.objectValue ?? [:] {
                expressions[name] = interpreter.evaluate(expression.stringValue ?? "")
            }
            reply(request, on: channel, "execute_reply", [
                "status": "ok", "execution_count": .int(count), "payload": .array(payload),
                "user_expressions": .object(expressions),
            ])
        case .error(let name, let value, let traceback, let payload):
            if !silent {
                publish("error", ["ename": .string(name), "evalue": .string(value),
                                  "traceback": .array(traceback.map(JSON.string))], parent: request.header)
            }
            // Requests already queued behind the failure are taken before the
            // reply goes out, so only those are aborted, never later ones.
            let queued = content["stop_on_error"]?.boolValue ?? true ? drainQueue(channel) : []
            reply(request, on: channel, "execute_reply", [
                "status": "error", "execution_count": .int(count), "ename": .string(name), "evalue": .string(value),
                "traceback": .array(traceback.map(JSON.string)), "payload": .array(payload), "user_expressions": [:],
            ])
            abortExecutions(queued, on: channel)
        }
    }

    /// Gives the memory a cell freed back to the system. glibc keeps freed
    /// blocks in one heap per thread that ever allocated, and a cell's work
    /// runs on several (its own, the BLAS and Dispatch workers), so without
    /// this a long session's resident size creeps up with no leak at all:
    /// 10,000 mixed executes grew it by more than half.
    func returnFreedMemory() {
        #if canImport(Glibc)
        _ = Kernel.mallocTrim?(0)
        #endif
    }

    #if canImport(Glibc)
    /// glibc's `malloc_trim`, which its Swift module does not export.
    static let mallocTrim: (@convention(c) (Int) -> Int32)? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim")
        .map { unsafeBitCast($0, to: (@convention(c) (Int) -> Int32).self) }
    #endif

    /// Every message waiting on the channel right now.
    func drainQueue(_ channel: KernelChannel) -> [[[UInt8]]] {
        var queued: [[[UInt8]]] = []
        while let frames = try? transport.receive(on: channel, timeoutMs: 0) { queued.append(frames) }
        return queued
    }

    /// After a failed execute with `stop_on_error`, the executes that were
    /// queued behind it are answered "aborted" rather than run; other
    /// requests are served as usual.
    func abortExecutions(_ queued: [[[UInt8]]], on channel: KernelChannel) {
        for frames in queued {
            guard let message = try? codec.decode(frames), message.type == "execute_request" else {
                handle(frames, on: channel)
                continue
            }
            publish("status", ["execution_state": "busy"], parent: message.header)
            // No execution_count, as ipykernel: JupyterLab would show it on a
            // cell that never ran.
            reply(message, on: channel, "execute_reply", ["status": "aborted"])
            publish("status", ["execution_state": "idle"], parent: message.header)
        }
    }
}
