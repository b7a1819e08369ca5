import Foundation
import LoupeSafetensors

/// Reads rows of a cache shard and sums their CRC-32 at the same time: the
/// rows come from disk in 1 MB pieces, and while one piece is read the one
/// before is summed on a queue of its own, so on a cold pass the check runs
/// while the reader waits for the disk rather than after it. The caller's
/// buffer is only read by the queue, and every sum is finished before
/// `read` returns, so the caller may change the rows at once.
final class ChecksummedReader {
    private let queue = DispatchQueue(label: "loupe.cache-checksum")
    /// What the queue works on: the running CRC and the seconds spent summing.
    private final class Sums: @unchecked Sendable {
        var crc: UInt32 = 0
        var seconds = 0.0
    }
    /// Seconds spent computing CRCs, and the part of them the reader waited
    /// for after its last read (the cost the overlap did not hide).
    private(set) var summingSeconds = 0.0
    private(set) var waitingSeconds = 0.0

    /// Reads rows `first..<first+count` into `buffer`; returns the CRC-32 of
    /// their bytes continued from `crc`.
    func read(_ reader: TensorRowReader, rows first: Int, count: Int, into buffer: UnsafeMutablePointer<Float>,
              continuing crc: UInt32) throws -> UInt32 {
        let width = reader.width, pieceRows = max(1, (1 << 20) / (width * 4))
        if count <= pieceRows {
            // One piece: nothing to overlap it with.
            try reader.read(rows: first, count: count, into: buffer)
            let start = DispatchTime.now().uptimeNanoseconds
            defer { summingSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
            return CRC32.checksum(UnsafeRawBufferPointer(start: buffer, count: count * width * 4), continuing: crc)
        }
        let sums = Sums()
        sums.crc = crc
        var done = 0, failure: Error?
        while done < count {
            let n = min(pieceRows, count - done), at = buffer + done * width
            do { try reader.read(rows: first + done, count: n, into: at) } catch { failure = error; break }
            // The address as a number: the rows stay valid until the queue is drained below.
            let address = Int(bitPattern: at), length = n * width * 4
            queue.async {
                let start = DispatchTime.now().uptimeNanoseconds
                sums.crc = CRC32.checksum(UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: address), count: length), continuing: sums.crc)
                sums.seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }
            done += n
        }
        let start = DispatchTime.now().uptimeNanoseconds
        queue.sync {}
        waitingSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        summingSeconds += sums.seconds
        if let failure { throw failure }
        return sums.crc
    }
}
