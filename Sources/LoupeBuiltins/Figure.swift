import LoupeDisplay
import LoupeLanguage

/// The `table` and `image` members every figure type shares.
func addFigureMembers(to type: BuiltinType) {
    type.addProperty(BuiltinProperty("table", type: "Table", doc: "The numbers, as a table.") { v in
        .object((v.objectValue as! FigureObject).table)
    })
    type.addProperty(BuiltinProperty("image", type: "Image", doc: "The picture alone.") { v in
        let f = v.objectValue as! FigureObject
        return .object(ImageObject(f.image, caption: f.table.title))
    })
}
