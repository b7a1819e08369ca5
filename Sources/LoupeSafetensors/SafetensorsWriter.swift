import Foundation
import LoupeFiles
import LoupeJSON
import LoupeTensor

/// One tensor to be written to a safetensors file, always as float32.
package struct NamedTensor {
    package var name: String
    package var shape: [Int]
    package var values: [Float]
    package init(_ name: String, shape: [Int], _ values: [Float]) {
        precondition(ShapeSize.elements(shape) == values.count, "tensor \(name): shape \(shape) does not hold \(values.count) values")
        self.name = name; self.shape = shape; self.values = values
    }
}

/// Writes safetensors files (float32 only), atomically.
package enum SafetensorsWriter {
    package static func write(_ tensors: [NamedTensor], metadata: [String: String] = [:], to path: String) throws {
        try prepare(tensors, metadata: metadata, to: path).file.commit()
    }

    /// Writes and flushes the file under a temporary name without renaming
    /// it (`AtomicFile.prepare`), and gives the CRC-32 of its bytes.
    package static func prepare(_ tensors: [NamedTensor], metadata: [String: String] = [:], to path: String) throws
        -> (file: AtomicFile.Pending, crc: UInt32) {
        let head = header(tensors.map { ($0.name, $0.shape) }, metadata: metadata)
        var crc: UInt32 = 0
        let file = try AtomicFile.prepare(to: path) { fd in
            try head.withUnsafeBytes { try AtomicFile.writeAll(fd, $0); crc = CRC32.checksum($0, continuing: crc) }
            for t in tensors {
                // float32 in memory is already little-endian on every platform Loupe runs on.
                try t.values.withUnsafeBytes { try AtomicFile.writeAll(fd, $0); crc = CRC32.checksum($0, continuing: crc) }
            }
        }
        return (file, crc)
    }

    /// The 8-byte length and JSON header for F32 tensors laid out in order
    /// (for writers that stream the data themselves).
    package static func header(_ tensors: [(name: String, shape: [Int])], metadata: [String: String]) -> [UInt8] {
        var header: [String: JSON] = [:]
        var offset = 0
        for t in tensors {
            let bytes = ShapeSize.requireElements(t.shape) * 4
            header[t.name] = .object(["dtype": "F32", "shape": .array(t.shape.map { .int($0) }),
                                      "data_offsets": .array([.int(offset), .int(offset + bytes)])])
            offset += bytes
        }
        if !metadata.isEmpty { header["__metadata__"] = .object(metadata.mapValues { .string($0) }) }
        var headerBytes = JSON.object(header).serializedBytes()
        // Pad with spaces so the data starts 8-byte aligned, as the format recommends.
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }
        let length = UInt64(headerBytes.count).littleEndian
        return withUnsafeBytes(of: length) { Array($0) } + headerBytes
    }
}
