import Foundation

/// A whole file mapped read-only into memory. Checkpoint weights are used
/// straight from these pages, so loading a model costs address space, not
/// a copy; the kernel pages weights in on first use and can drop them again
/// under memory pressure.
final class MappedFile: @unchecked Sendable {
    let path: String
    let base: UnsafeRawPointer
    let size: Int

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw CLIPError(file: path, problem: exists ? "cannot open the file (\(String(cString: strerror(errno))))" : "no such file",
                            fix: exists ? "Check the file's permissions." : "Check the path; CLIP.load takes an open_clip .safetensors file or a Hugging Face CLIP folder.")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw CLIPError(file: path, problem: "cannot stat the file", fix: "Check that it is a regular file.")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw CLIPError(file: path, problem: "not a regular file", fix: "Pass the .safetensors file itself, or a folder holding config.json and model.safetensors.")
        }
        size = Int(st.st_size)
        guard size > 0 else {
            throw CLIPError(file: path, problem: "the file is empty", fix: "Re-download or re-export the checkpoint.")
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw CLIPError(file: path, problem: "cannot memory-map the file (\(String(cString: strerror(errno))))",
                            fix: "Check free address space and that the file system supports mmap.")
        }
        base = UnsafeRawPointer(p)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }
}
