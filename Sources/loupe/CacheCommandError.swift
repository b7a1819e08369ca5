/// Why a `loupe cache` run failed once its arguments were accepted. Unlike
/// ArgumentParser's ValidationError, which is about the command line and
/// is followed by the usage text, these print as the error alone.
enum CacheCommandError: Error, CustomStringConvertible {
    case noImages(folder: String)
    case incomplete(missing: Int, of: Int, folder: String)

    var description: String {
        switch self {
        case .noImages(let folder): "no images in \(folder)"
        case .incomplete(let missing, let total, let folder):
            "\(missing) of \(total) shards are missing or damaged in \(folder); run their jobs again"
        }
    }
}
