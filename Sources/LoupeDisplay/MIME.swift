/// The vendor MIME types that carry Loupe's numbers for programs beside the
/// human view (docs/mime-types.md). Never plain `application/json`: JupyterLab
/// ranks its JSON tree above HTML, so a person would see the tree; a vendor
/// type without a renderer is skipped and the HTML shows.
public enum LoupeMIME {
    /// A table: `{"title"?, "columns": [..], "rows": [[..]]}` plus result fields.
    public static let table = "application/vnd.loupe.table+json"
    /// A summary of a model, SAE, activations or embeddings: one object of fields.
    public static let summary = "application/vnd.loupe.summary+json"
    /// A progress display's state: title, done, total, elapsed_s, details, state.
    public static let progress = "application/vnd.loupe.progress+json"
}
