import Foundation
import LoupeSafetensors

/// Writes a stored (uncompressed) zip archive, for tests that change one
/// member of a `torch.save` file and need the rest of the archive, CRCs
/// included, to stay valid so that the change reaches the reader behind it.
enum ZipBuilder {
    static func archive(_ members: [(name: String, data: [UInt8])]) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { withUnsafeBytes(of: UInt16(v).littleEndian) { Array($0) } }
        func u32(_ v: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(v).littleEndian) { Array($0) } }
        var out: [UInt8] = [], directory: [UInt8] = []
        for (name, data) in members {
            let crc = data.withUnsafeBytes { Int(CRC32.checksum($0)) }
            let nameBytes = Array(name.utf8), offset = out.count
            out += u32(0x0403_4B50) + u16(20) + u16(0) + u16(0) + u16(0) + u16(0) + u32(crc) + u32(data.count) + u32(data.count)
                + u16(nameBytes.count) + u16(0) + nameBytes + data
            directory += u32(0x0201_4B50) + u16(20) + u16(20) + u16(0) + u16(0) + u16(0) + u16(0) + u32(crc) + u32(data.count)
                + u32(data.count) + u16(nameBytes.count) + u16(0) + u16(0) + u16(0) + u16(0) + u32(0) + u32(offset) + nameBytes
        }
        let directoryStart = out.count
        out += directory
        out += u32(0x0605_4B50) + u16(0) + u16(0) + u16(members.count) + u16(members.count) + u32(directory.count) + u32(directoryStart) + u16(0)
        return out
    }

    /// The members of the archive in `file` (after `prefix` bytes), in file order.
    static func members(of file: [UInt8], prefix: Int, path: String) throws -> [(name: String, data: [UInt8])] {
        let zip = try file.withUnsafeBytes { try StoredZip($0, startingAt: prefix, path: path) }
        return zip.entries.sorted { $0.value.lowerBound < $1.value.lowerBound }.map { ($0.key, Array(file[$0.value])) }
    }
}
