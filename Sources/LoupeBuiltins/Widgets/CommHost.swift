import LoupeJSON

/// A comm to the front end as the language sees it: Jupyter's channel
/// between a value in the session and its counterpart in the browser (a
/// widget's model). The kernel provides them; `loupe run` and the tests
/// without a front end have none, and values then show their fallback.
public protocol CommEndpoint: AnyObject {
    var id: String { get }
    func send(_ data: JSON, buffers: [[UInt8]])
    func close()
}

public protocol CommHost: AnyObject {
    /// Opens a comm to the front end's `target`; `receive` gets what the
    /// front end sends on it, on the thread that runs cells, between cells.
    func open(target: String, data: JSON, metadata: JSON, buffers: [[UInt8]],
              receive: @escaping (_ data: JSON, _ buffers: [[UInt8]]) -> Void) -> CommEndpoint
    /// Lets the front end open comms to `target`; `opened` returns the
    /// handler of what arrives on each one.
    func register(target: String, opened: @escaping (CommEndpoint, _ data: JSON, _ buffers: [[UInt8]]) -> ((JSON, [[UInt8]]) -> Void))
}
