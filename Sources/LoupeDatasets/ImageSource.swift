import Foundation
import LoupeImage

/// Where a dataset's images come from. Images are made on demand, so a
/// dataset of thousands of scenes costs nothing until it is looked at.
package protocol ImageSource: AnyObject {
    var description: String { get }
    func image(at index: Int) throws -> RGBImage
    func caption(at index: Int) -> String
    /// Attribute names this source can filter on, with their valid values
    /// (nil values: free text).
    var attributeNames: [String] { get }
    func validValues(of attribute: String) -> [String]?
    func matches(_ index: Int, _ attribute: String, _ value: String) throws -> Bool
    /// The value of an attribute for one image ("star" for shape).
    func value(_ index: Int, of attribute: String) throws -> String
    /// What makes image `index` the picture it is, the same for every dataset
    /// that shows it: a scene's generator and number (whatever word is
    /// drawn on it), a file's path. Analyses compare identities to refuse
    /// selecting units on the images that evaluate them.
    func identity(at index: Int) -> String
}

extension ImageSource {
    /// How image `index` is named in an activation cache's image list: its
    /// place in the source and its caption, the same from a notebook and
    /// from `loupe cache`, so either can resume the other's cache.
    package func cacheID(at index: Int) -> String { "\(index): \(caption(at: index))" }
}
