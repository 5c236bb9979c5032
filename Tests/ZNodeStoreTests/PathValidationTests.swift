import Testing
@testable import ZNodeStore

/// `PathUtils.isValid` against ZooKeeper's `PathUtils.validatePath` rules, for ASCII paths
/// (checked on their UTF-8 bytes in place) and others (checked on UTF-16 code units).
@Suite("path validation")
struct PathValidationTests {
    static let cases: [(String, Bool)] = [
        ("/", true), ("/a", true), ("/a/b", true), ("/.a", true), ("/a.", true), ("/a/...", true),
        ("/a/.b", true), ("/zookeeper/config", true), ("/\u{A0}", true), ("/é/ü", true), ("/\u{F900}", true),
        ("", false), ("a", false), ("a/b", false), ("/a/", false), ("//a", false), ("/a//b", false),
        ("/.", false), ("/..", false), ("/a/.", false), ("/a/..", false), ("/./a", false), ("/../a", false),
        ("/a\u{0}b", false), ("/a\u{1}b", false), ("/a\u{1F}", false), ("/a\u{7F}", false), ("/a\u{9F}", false),
        ("/\u{E000}", false), ("/\u{F8FF}", false), ("/\u{FFF0}", false), ("/😀", false), ("/é/.", false),
    ]

    @Test("valid and invalid paths", arguments: cases)
    func validity(_ c: (String, Bool)) {
        #expect(PathUtils.isValid(c.0) == c.1, "\(c.0.unicodeScalars.map { String($0.value, radix: 16) })")
    }
}
