import Foundation
import LoupeDisplay
import LoupeFiles
import LoupeJSON
import LoupeLanguage

func registerTable(_ r: Registry) {
    let table = BuiltinType("Table", doc: "Rows and named columns, shown as HTML, with its numbers under application/vnd.loupe.table+json for programs.", isGlobal: false)
    func receiver(_ v: Value) -> TableObject? { v.objectValue as? TableObject }
    table.addProperty(BuiltinProperty("columns", type: "[String]", doc: "Column names.") { v in
        .array((receiver(v)?.columns ?? []).map { .string($0) })
    })
    table.addProperty(BuiltinProperty("count", type: "Int", doc: "Number of rows.") { v in .int(receiver(v)?.rows.count ?? 0) })
    table.addProperty(BuiltinProperty("notes", type: "String", doc: "The lines under the table (which differences are resolved), "
                                      + "or an empty string.") { v in .string(receiver(v)?.notes ?? "") })
    table.addMethod(BuiltinFunction("column", [Parameter(nil, name: "name", type: "String")], returns: "Array",
                                    doc: "One column's values, top to bottom.") { ctx in
        let t = receiver(ctx.receiver)!
        let name = try ctx.string("name")
        guard let c = t.columns.firstIndex(of: name) else {
            let hint = nearestName(to: name, in: t.columns).map { " (did you mean '\($0)'?)" } ?? ""
            throw ctx.valueError("name", "no column '\(name)'\(hint); columns are " + t.columns.joined(separator: ", "))
        }
        return .array(t.rows.map { $0[c] })
    })
    table.addMethod(BuiltinFunction("save", [Parameter(nil, name: "path", type: "String", doc: "a .csv file")],
                                    doc: "Writes the table as CSV, atomically.") { ctx in
        let path = try ctx.string("path")
        do { try AtomicFile.write(Array(receiver(ctx.receiver)!.csv().utf8), to: path) } catch {
            throw ctx.valueError("path", "could not write \(path): \(error)")
        }
        return .void
    })
    r.add(table)

    r.add(BuiltinFunction("table", [
        Parameter("columns", type: "[String]", doc: "the column names"),
        Parameter("rows", type: "[[Any]]", doc: "one array per row, one value per column"),
        Parameter("title", type: "String", default: .null),
    ], returns: "Table", doc: "A table of your own numbers, e.g. the results of a sweep: "
       + "`table(columns: [\"width\", \"mean MS\"], rows: [[256, 0.41], [1024, 0.47]])`.") { ctx in
        let columns = try ctx.displayTexts("columns")
        guard !columns.isEmpty else { throw ctx.valueError("columns", "give at least one column") }
        guard case .array(let items) = ctx.value("rows") else { throw ctx.typeError("rows", expected: "[[Any]]", got: ctx.value("rows")) }
        let rows = try items.enumerated().map { i, item -> [Value] in
            guard case .array(let row) = item else { throw ctx.typeError("rows", expected: "[[Any]]", got: item) }
            guard row.count == columns.count else {
                throw ctx.valueError("rows", "row \(i) has \(row.count) values for \(columns.count) columns")
            }
            return row
        }
        return .object(TableObject(title: ctx.has("title") ? try ctx.displayText("title") : nil, columns: columns, rows: rows))
    })
}
