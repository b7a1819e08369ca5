import CZMQ
import Foundation

/// A ZeroMQ failure, with libzmq's own words.
public struct ZMQError: Error, CustomStringConvertible {
    public let operation: String
    public let code: Int32
    public var description: String { "\(operation): \(String(cString: zmq_strerror(code)))" }
    static func last(_ operation: String) -> ZMQError { ZMQError(operation: operation, code: zmq_errno()) }
}

/// A libzmq context; sockets made from it may live on different threads, but
/// each socket is used by one thread at a time.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    public init() {
        handle = zmq_ctx_new()
    }

    /// Runs once every socket is gone: sockets keep their context alive.
    deinit { zmq_ctx_term(handle) }

    /// Makes blocking calls on every socket of this context return at once,
    /// so threads parked in `receive` can finish.
    public func shutdown() { zmq_ctx_shutdown(handle) }

    public func socket(_ type: Int32) throws -> ZMQSocket {
        guard let s = zmq_socket(handle, type) else { throw ZMQError.last("zmq_socket") }
        return ZMQSocket(s, context: self)
    }
}

/// One socket. Messages are lists of frames.
public final class ZMQSocket: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    let context: ZMQContext
    private var closed = false

    init(_ handle: UnsafeMutableRawPointer, context: ZMQContext) {
        self.handle = handle
        self.context = context
        setInt(ZMQ_LINGER, 0)
    }

    deinit { close() }

    public func close() {
        if !closed { zmq_close(handle); closed = true }
    }

    @discardableResult
    public func setInt(_ option: Int32, _ value: Int32) -> Bool {
        var v = value
        return zmq_setsockopt(handle, option, &v, MemoryLayout<Int32>.size) == 0
    }

    public func setInt64(_ option: Int32, _ value: Int64) {
        var v = value
        zmq_setsockopt(handle, option, &v, MemoryLayout<Int64>.size)
    }

    public func setBytes(_ option: Int32, _ value: [UInt8]) {
        value.withUnsafeBytes { _ = zmq_setsockopt(handle, option, $0.baseAddress, value.count) }
    }

    public func bind(_ endpoint: String) throws {
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError.last("zmq_bind \(endpoint)") }
    }

    public func connect(_ endpoint: String) throws {
        guard zmq_connect(handle, endpoint) == 0 else { throw ZMQError.last("zmq_connect \(endpoint)") }
    }

    /// Sends all frames as one multipart message.
    public func send(_ frames: [[UInt8]]) throws {
        for (i, frame) in frames.enumerated() {
            let flags = i < frames.count - 1 ? ZMQ_SNDMORE : 0
            let rc = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, frame.count, flags) }
            if rc < 0 { throw ZMQError.last("zmq_send") }
        }
    }

    /// Receives one multipart message; nil on timeout (`timeoutMs` >= 0) or
    /// when interrupted by a signal.
    public func receive(timeoutMs: Int = -1) throws -> [[UInt8]]? {
        if timeoutMs >= 0 {
            var item = zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
            let rc = zmq_poll(&item, 1, timeoutMs)
            if rc < 0 {
                if zmq_errno() == EINTR { return nil }
                throw ZMQError.last("zmq_poll")
            }
            if rc == 0 { return nil }
        }
        var frames: [[UInt8]] = []
        while true {
            var msg = zmq_msg_t()
            zmq_msg_init(&msg)
            defer { zmq_msg_close(&msg) }
            let rc = zmq_msg_recv(&msg, handle, 0)
            if rc < 0 {
                if zmq_errno() == EINTR && frames.isEmpty { return nil }
                if zmq_errno() == EINTR { continue }
                throw ZMQError.last("zmq_msg_recv")
            }
            let size = zmq_msg_size(&msg)
            if let data = zmq_msg_data(&msg) {
                frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
            } else {
                frames.append([])
            }
            if zmq_msg_more(&msg) == 0 { break }
        }
        return frames
    }

    /// The port a `tcp://ip:*` bind chose.
    public var lastEndpoint: String {
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size)
        return String(cString: buffer)
    }
}
