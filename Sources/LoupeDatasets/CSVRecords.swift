/// Splits CSV text into records of fields (RFC 4180: quoted fields may hold
/// commas, doubled quotes and line breaks). Blank lines are skipped. Each
/// record keeps the line it started on, for error messages.
package func csvRecords(_ text: String) -> [(line: Int, fields: [String])] {
    var records: [(line: Int, fields: [String])] = []
    var fields: [String] = []
    var field = ""
    var quoted = false, afterQuote = false
    var line = 1, recordLine = 1
    var chars = Array(text.unicodeScalars)
    if chars.first == "\u{FEFF}" { chars.removeFirst() }   // a byte-order mark from spreadsheet exports
    var i = 0
    func endRecord() {
        fields.append(field)
        if !(fields.count == 1 && fields[0].isEmpty) { records.append((recordLine, fields)) }
        fields = []; field = ""
    }
    while i < chars.count {
        let c = chars[i]
        if quoted {
            if c == "\"" {
                if i + 1 < chars.count, chars[i + 1] == "\"" { field.unicodeScalars.append("\""); i += 1 } else { quoted = false; afterQuote = true }
            } else {
                if c == "\n" { line += 1 }
                field.unicodeScalars.append(c)
            }
        } else if c == "\"" && field.isEmpty && !afterQuote {
            quoted = true
        } else if c == "," {
            fields.append(field); field = ""; afterQuote = false
        } else if c == "\n" || c == "\r" {
            if c == "\r", i + 1 < chars.count, chars[i + 1] == "\n" { i += 1 }
            endRecord()
            afterQuote = false
            line += 1; recordLine = line
        } else {
            field.unicodeScalars.append(c)
        }
        i += 1
    }
    if !field.isEmpty || !fields.isEmpty { endRecord() }
    return records
}
