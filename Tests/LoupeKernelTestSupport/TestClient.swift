import Foundation
import LoupeJSON
import LoupeKernel

/// A minimal Jupyter client. Every reply and output is matched to its request
/// by msg_id; whatever arrives for another request is kept for it (or left in
/// `strays`), so no test depends on when messages happen to arrive.
package final class TestClient {
    package let end: ClientEnd
    package let codec: WireCodec
    package let session = UUID().uuidString
    /// Received messages not yet claimed by `reply(to:)` or `outputs(of:)`.
    package private(set) var strays: [KernelChannel: [Message]] = [:]

    package init(_ end: ClientEnd, key: String) {
        self.end = end
        codec = WireCodec(signer: Signer(key: key))
    }

    package func request(_ type: String, _ content: JSON = [:]) -> Message {
        Message(header: Message.header(type: type, session: session), content: content)
    }

    @discardableResult
    package func send(_ type: String, _ content: JSON = [:], on channel: KernelChannel = .shell) throws -> Message {
        let message = request(type, content)
        try send([message], on: channel)
        return message
    }

    /// Sends the requests together: over memory all are queued before the
    /// kernel takes the first.
    package func send(_ requests: [Message], on channel: KernelChannel = .shell) throws {
        try end.send(requests.map(codec.encode), on: channel)
    }

    package func sendFrames(_ frames: [[UInt8]], on channel: KernelChannel = .shell) throws {
        try end.send([frames], on: channel)
    }

    /// The reply to `request`; nil if none came within `timeoutMs`.
    package func reply(to request: Message, on channel: KernelChannel = .shell, timeoutMs: Int = 5000) throws -> Message? {
        try next(on: channel, timeoutMs: timeoutMs) { $0.parentHeader["msg_id"]?.stringValue == request.id }
    }

    /// iopub messages whose parent is `request`, up to and including its idle status.
    package func outputs(of request: Message, timeoutMs: Int = 5000) throws -> [Message] {
        var collected: [Message] = []
        while let message = try next(on: .iopub, timeoutMs: timeoutMs, where: { $0.parentHeader["msg_id"]?.stringValue == request.id }) {
            collected.append(message)
            if message.type == "status", message.content["execution_state"]?.stringValue == "idle" { break }
        }
        return collected
    }

    /// The first message on `channel` that `wanted` accepts, from the strays
    /// first, then as they arrive; the others become strays.
    package func next(on channel: KernelChannel, timeoutMs: Int, where wanted: (Message) -> Bool) throws -> Message? {
        if let i = strays[channel]?.firstIndex(where: wanted) { return strays[channel]!.remove(at: i) }
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        while true {
            let left = Int(deadline.timeIntervalSinceNow * 1000)
            guard left > 0, let frames = try end.receive(on: channel, timeoutMs: left) else { return nil }
            let message = try codec.decode(frames)
            if wanted(message) { return message }
            strays[channel, default: []].append(message)
        }
    }
}
