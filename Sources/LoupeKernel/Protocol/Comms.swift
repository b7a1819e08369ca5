import Foundation
import LoupeJSON

/// One end of a Jupyter comm: a channel between an object in the kernel and
/// its counterpart in the front end, opened from either side. What arrives
/// from the front end goes to `onMessage` and `onClose`; `send` and `close`
/// publish on iopub with the request being served as parent.
///
/// Every comm message from the front end comes on the shell channel, which
/// one thread serves in order: while a cell runs they wait in the queue and
/// are handled on the shell thread's next turn, after the cell, never
/// beside it. So a handler may run language code without any locking.
public final class Comm: @unchecked Sendable {
    public let id: String
    public let target: String
    unowned let kernel: Kernel
    public var onMessage: ((_ data: JSON, _ buffers: [[UInt8]]) -> Void)?
    public var onClose: ((_ data: JSON) -> Void)?

    init(id: String, target: String, kernel: Kernel) {
        self.id = id; self.target = target; self.kernel = kernel
    }

    public func send(_ data: JSON, metadata: JSON = [:], buffers: [[UInt8]] = []) {
        kernel.publish("comm_msg", ["comm_id": .string(id), "data": data], parent: kernel.currentParent, metadata: metadata, buffers: buffers)
    }

    /// Closes the comm from the kernel's side.
    public func close(_ data: JSON = [:]) {
        guard kernel.comms.remove(id) != nil else { return }
        kernel.publish("comm_close", ["comm_id": .string(id), "data": data], parent: kernel.currentParent)
    }
}

/// The open comms and the targets the front end may open comms to.
final class CommRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var targets: [String: (Comm, JSON, [[UInt8]]) -> Void] = [:]
    private var open: [String: Comm] = [:]

    func register(_ target: String, _ opened: @escaping (Comm, JSON, [[UInt8]]) -> Void) {
        lock.withLock { targets[target] = opened }
    }

    func target(_ name: String) -> ((Comm, JSON, [[UInt8]]) -> Void)? { lock.withLock { targets[name] } }
    func add(_ comm: Comm) { lock.withLock { open[comm.id] = comm } }
    func comm(_ id: String) -> Comm? { lock.withLock { open[id] } }
    @discardableResult func remove(_ id: String) -> Comm? { lock.withLock { open.removeValue(forKey: id) } }

    /// comm_info_reply's `comms`: id → {target_name}, for one target or all.
    func info(target: String?) -> JSON {
        lock.withLock {
            var comms: [String: JSON] = [:]
            for (id, comm) in open where target == nil || comm.target == target { comms[id] = ["target_name": .string(comm.target)] }
            return .object(comms)
        }
    }
}

/// The kernel's comms as an interpreter sees them: what it is given when it
/// is made, before the kernel serves anything.
public final class CommChannel: @unchecked Sendable {
    unowned let kernel: Kernel
    init(kernel: Kernel) { self.kernel = kernel }

    /// Opens a comm from the kernel's side to the front end's `target`.
    public func open(target: String, data: JSON = [:], metadata: JSON = [:], buffers: [[UInt8]] = []) -> Comm {
        kernel.openComm(target: target, data: data, metadata: metadata, buffers: buffers)
    }

    /// Lets the front end open comms to `target`.
    public func register(target: String, opened: @escaping (_ comm: Comm, _ data: JSON, _ buffers: [[UInt8]]) -> Void) {
        kernel.registerCommTarget(target, opened: opened)
    }
}

extension Kernel {
    /// Lets the front end open comms to `target`; `opened` receives each new
    /// comm with the data and buffers of its comm_open.
    public func registerCommTarget(_ target: String, opened: @escaping (_ comm: Comm, _ data: JSON, _ buffers: [[UInt8]]) -> Void) {
        comms.register(target, opened)
    }

    /// Opens a comm from the kernel's side to the front end's `target`.
    public func openComm(target: String, data: JSON = [:], metadata: JSON = [:], buffers: [[UInt8]] = []) -> Comm {
        let comm = Comm(id: UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(), target: target, kernel: self)
        comms.add(comm)
        publish("comm_open", ["comm_id": .string(comm.id), "target_name": .string(target), "data": data],
                parent: currentParent, metadata: metadata, buffers: buffers)
        return comm
    }

    func commOpen(_ message: Message) {
        guard let id = message.content["comm_id"]?.stringValue, let target = message.content["target_name"]?.stringValue else {
            log("shell: comm_open without comm_id or target_name")
            return
        }
        guard let opened = comms.target(target) else {
            // No such target: close it at once, as the messaging spec asks.
            publish("comm_close", ["comm_id": .string(id), "data": [:]], parent: message.header)
            return
        }
        let comm = Comm(id: id, target: target, kernel: self)
        comms.add(comm)
        opened(comm, message.content["data"] ?? [:], message.buffers)
    }

    func commMessage(_ message: Message) {
        guard let id = message.content["comm_id"]?.stringValue, let comm = comms.comm(id) else {
            log("shell: comm_msg for a comm that is not open")
            return
        }
        comm.onMessage?(message.content["data"] ?? [:], message.buffers)
    }

    func commClose(_ message: Message) {
        guard let id = message.content["comm_id"]?.stringValue, let comm = comms.remove(id) else { return }
        comm.onClose?(message.content["data"] ?? [:])
    }
}
