import LoupeJSON
import LoupeTensor

/// The JSON header of a safetensors file, validated as Python's
/// `safetensors` validates it (`read_metadata` and `Metadata::validate`),
/// so that a file Python refuses is refused here too rather than read
/// with its tensors shifted:
///
/// - the header length is at most 100,000,000 and fits in the file;
/// - the header is UTF-8 JSON (spaces may pad it, nothing else);
/// - `__metadata__`, if there, maps strings to strings;
/// - each tensor has a known dtype, a shape of sizes whose product (and
///   that times the dtype's size) does not overflow, and `data_offsets`
///   holding exactly those bytes;
/// - taken in order of their offsets, the tensors start at 0, each begins
///   where the one before ends (no gap, no overlap), and the last ends at
///   the end of the file.
struct SafetensorsHeader {
    /// Python's `MAX_HEADER_SIZE`.
    static let maxLength = 100_000_000

    let entries: [String: SafetensorsFile.Entry]
    let metadata: [String: String]

    /// `bytes`: the whole file.
    init(_ bytes: UnsafeRawBufferPointer, path: String) throws {
        let redo = "Re-download or re-export it (safetensors.torch.save_file)."
        func corrupt(_ problem: String, tensor: String? = nil) -> SafetensorsError {
            SafetensorsError(file: path, tensor: tensor, problem: problem, fix: "The file is corrupt. \(redo)")
        }
        let declared = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        // Compared as UInt64: a length past Int.max must not trap in a conversion.
        guard declared <= UInt64(bytes.count - 8) else {
            throw SafetensorsError(file: path, problem: "the header claims \(declared) bytes but the file has only \(bytes.count - 8) after the length field",
                                   fix: "The file is truncated or not a safetensors file. \(redo)")
        }
        let length = Int(declared)
        guard length <= Self.maxLength else {
            throw SafetensorsError(file: path, problem: "the header is \(length) bytes, far beyond any real checkpoint (at most \(Self.maxLength))",
                                   fix: "This is not a safetensors file. \(redo)")
        }
        let header: JSON
        do { header = try JSON.parse(UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + length)])) } catch {
            throw SafetensorsError(file: path, problem: "the header is not valid JSON (\(error))", fix: "The file is corrupt or not a safetensors file. \(redo)")
        }
        guard let object = header.objectValue else { throw corrupt("the header is not a JSON object") }
        let dataSize = bytes.count - 8 - length

        var entries: [String: SafetensorsFile.Entry] = [:]
        var metadata: [String: String] = [:]
        for (key, value) in object {
            if key == "__metadata__" {
                guard let fields = value.objectValue else { throw corrupt("__metadata__ is not an object of strings") }
                for (k, v) in fields {
                    guard let s = v.stringValue else { throw corrupt("__metadata__ field '\(k)' is \(v.serialized()), not a string") }
                    metadata[k] = s
                }
                continue
            }
            entries[key] = try Self.entry(key, value, dataStart: 8 + length, dataSize: dataSize, path: path, corrupt: corrupt)
        }
        try Self.checkLayout(entries.values, dataStart: 8 + length, dataSize: dataSize, path: path)
        self.entries = entries
        self.metadata = metadata
    }

    /// One tensor's entry, its sizes checked before any product is used.
    private static func entry(_ key: String, _ value: JSON, dataStart: Int, dataSize: Int, path: String,
                              corrupt: (String, String?) -> SafetensorsError) throws -> SafetensorsFile.Entry {
        func bad(_ problem: String) -> SafetensorsError { corrupt(problem, key) }
        guard let dtypeName = value["dtype"]?.stringValue else { throw bad("the header entry has no dtype") }
        guard let dtype = SafetensorsFile.DType(rawValue: dtypeName) else {
            throw SafetensorsError(file: path, tensor: key, problem: "unsupported dtype \(dtypeName)",
                                   fix: "Convert the checkpoint to float32, float16 or bfloat16.")
        }
        // Sizes are JSON integers, as Python's reader (usize) requires: no fractions, no negatives.
        guard let shapeJSON = value["shape"]?.arrayValue else { throw bad("the header entry has no shape") }
        let shape = shapeJSON.compactMap { if case .int(let i) = $0, i >= 0 { return i } else { return nil } }
        guard shape.count == shapeJSON.count else { throw bad("the shape \(shapeJSON.map { $0.serialized() }) is not a list of sizes") }
        guard let offsets = value["data_offsets"]?.arrayValue, offsets.count == 2,
              case .int(let begin) = offsets[0], case .int(let end) = offsets[1] else {
            throw bad("data_offsets is missing or not a pair of integers")
        }
        guard begin >= 0, begin <= end else { throw bad("data_offsets [\(begin), \(end)] are reversed or negative") }
        guard end <= dataSize else {
            throw SafetensorsError(file: path, tensor: key, problem: "data_offsets [\(begin), \(end)] run past the end of the data (\(dataSize) bytes)",
                                   fix: "The file is truncated. Re-download or re-export it (safetensors.torch.save_file).")
        }
        guard let expected = ShapeSize.bytes(shape, elementSize: dtype.size) else {
            throw bad("the shape \(shape) in \(dtypeName) has more bytes than any file can hold (its size overflows)")
        }
        guard end - begin == expected else {
            throw bad("data_offsets [\(begin), \(end)] hold \(end - begin) bytes but shape \(shape) in \(dtypeName) needs \(expected)")
        }
        return SafetensorsFile.Entry(name: key, dtype: dtype, shape: shape, offset: dataStart + begin, length: expected)
    }

    /// The tensors tile the data section exactly: a gap would be bytes no
    /// tensor owns, an overlap two tensors sharing bytes, and a data section
    /// longer than the tensors a header length that is off (the padding read
    /// as data, every tensor shifted), all of which Python refuses.
    private static func checkLayout(_ entries: some Collection<SafetensorsFile.Entry>, dataStart: Int, dataSize: Int, path: String) throws {
        let fix = "The file is corrupt or its header does not describe its data. Re-download or re-export it (safetensors.torch.save_file)."
        // Offsets from the start of the data, in Python's order: by (begin, end).
        let spans = entries.map { (name: $0.name, begin: $0.offset - dataStart, end: $0.offset - dataStart + $0.length) }
            .sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var reached = 0, before: String?
        for span in spans {
            if span.begin > reached {
                throw SafetensorsError(file: path, tensor: span.name,
                                       problem: "data_offsets begin at \(span.begin), leaving bytes \(reached)..<\(span.begin) of the data to no tensor"
                                           + (before.map { " (after '\($0)')" } ?? ""), fix: fix)
            }
            if span.begin < reached {
                throw SafetensorsError(file: path, tensor: span.name,
                                       problem: "data_offsets begin at \(span.begin), inside '\(before ?? "")', which ends at \(reached): the tensors overlap", fix: fix)
            }
            reached = span.end; before = span.name
        }
        guard reached == dataSize else {
            throw SafetensorsError(file: path, problem: "the header's tensors cover \(reached) bytes of data but \(dataSize) follow the header; "
                + "the header length or the data is off (a header length one short reads its padding as data)", fix: fix)
        }
    }
}
