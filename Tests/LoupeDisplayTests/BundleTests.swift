import Foundation
import LoupeDisplay
import LoupeImage
import LoupeJSON
import LoupeLanguage
import Testing

/// What each kind of output puts in its MIME bundle.
@Suite struct BundleTests {
    @Test func theOneEscaperEscapesContentAndQuotedAttributes() {
        #expect(escapeHTML(#"<a href="x">Tom & 'Jerry'</a>"#) == "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;")
    }

    @Test func aTableIsHTMLForPeopleAndTheVendorTypeForPrograms() {
        let table = TableObject(title: "t <1>", columns: ["name", "value"], rows: [[.string("a"), .double(.nan)], [.string("b"), .double(0.5)]])
        let bundle = table.display()
        #expect(bundle.data["text/html"]?.stringValue?.contains("<caption") == true)
        #expect(bundle.data["text/html"]?.stringValue?.contains("t &lt;1&gt;") == true)
        #expect(bundle.data[LoupeMIME.table]?["columns"] == ["name", "value"])
        #expect(bundle.plainText.contains("n/a"), "an undefined figure reads as such")
        #expect(bundle.data["application/json"] == nil, "JupyterLab would show plain JSON as a tree")
    }

    @Test func aFigureCarriesItsPictureOnceInsideItsHTML() throws {
        var picture = RGBImage(width: 40, height: 20, fill: (200, 10, 10))
        picture.density = 2
        let figure = FigureObject(kind: "Figure", table: TableObject(title: "numbers", columns: ["x"], rows: [[.int(1)]]), image: picture)
        let bundle = figure.display()
        let html = try #require(bundle.data["text/html"]?.stringValue)
        #expect(html.components(separatedBy: "data:image/png;base64,").count == 2)
        #expect(html.contains("width=\"20\""), "shown at its display size, half its pixels")
        #expect(bundle.data["image/png"] == nil)
        #expect(bundle.data[LoupeMIME.table]?["rows"] == [[1]])
    }

    @Test func anImageIsAPNGWithItsDisplaySize() throws {
        var picture = RGBImage(width: 64, height: 32)
        picture.density = 2
        let bundle = ImageObject(picture, caption: "c").display()
        let png = try #require(Data(base64Encoded: bundle.data["image/png"]?.stringValue ?? ""))
        #expect(Array(png.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
        #expect(bundle.metadata["image/png"] == ["width": 32, "height": 16])
        #expect(bundle.plainText == "Image 32×16: c")
    }
}
