/// ZooKeeper's path rules (`PathUtils.validatePath` and the string handling of
/// `PrepRequestProcessor` / `DataTree`).
enum PathUtils {
    /// `PathUtils.validatePath`: absolute, no trailing '/', no empty, "." or ".." segments,
    /// no NUL, control, surrogate/private-use or U+FFF0…U+FFFF characters (checked on UTF-16
    /// code units as Java does, so any non-BMP character is refused).
    static func isValid(_ path: String) -> Bool {
        // An ASCII path's UTF-16 units are its UTF-8 bytes: check those in place (no copy).
        var contiguous = path
        if let ascii = contiguous.withUTF8({ bytes in bytes.allSatisfy { $0 < 0x80 } ? isValid(units: bytes) : nil }) {
            return ascii
        }
        return isValid(units: Array(path.utf16))
    }

    /// ZooKeeper's `PathUtils.validatePath` over the path's UTF-16 code units.
    private static func isValid<Units: RandomAccessCollection>(units u: Units) -> Bool
    where Units.Index == Int, Units.Element: FixedWidthInteger {
        func at(_ i: Int) -> UInt16 { UInt16(truncatingIfNeeded: u[u.startIndex + i]) }
        guard let first = u.first, UInt16(truncatingIfNeeded: first) == slash else { return false }
        if u.count == 1 { return true }
        if at(u.count - 1) == slash { return false }
        var last: UInt16 = slash
        var i = 1
        while i < u.count {
            let c = at(i)
            if c == 0 { return false }
            if c == slash && last == slash { return false }
            let segmentEnd = i + 1 == u.count || at(i + 1) == slash
            if c == dot && last == dot {
                if at(i - 2) == slash && segmentEnd { return false }
            } else if c == dot {
                if last == slash && segmentEnd { return false }
            } else if (c > 0 && c <= 0x1F) || (c >= 0x7F && c <= 0x9F)
                        || (c >= 0xD800 && c <= 0xF8FF) || c >= 0xFFF0 {
                return false
            }
            last = c
            i += 1
        }
        return true
    }

    static let slash = UInt16(UInt8(ascii: "/"))
    static let dot = UInt16(UInt8(ascii: "."))

    /// Splits at the last '/': ("/a/b" → ("/a", "b"), "/a" → ("", "a")). nil without a '/'.
    static func split(_ path: String) -> (parent: String, name: String)? {
        guard let idx = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        // Substrings of a String at a '/' boundary: copied without validating UTF-8 again.
        return (String(path[..<idx]), String(path[path.index(after: idx)...]))
    }

    /// The parent path as watch triggers name it ("" becomes "/").
    static func parentForWatch(_ path: String) -> String {
        guard let (parent, _) = split(path) else { return "/" }
        return parent.isEmpty ? "/" : parent
    }

    /// `String.format("%010d", n)` as Java formats it (negatives keep the width including '-').
    static func sequenceSuffix(_ n: Int32) -> String {
        let digits = String(n.magnitude)
        if n < 0 {
            return "-" + String(repeating: "0", count: max(0, 9 - digits.count)) + digits
        }
        return String(repeating: "0", count: max(0, 10 - digits.count)) + digits
    }
}
