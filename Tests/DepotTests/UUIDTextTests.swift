@testable import CMS
import Foundation
import Testing

/// The UUID check on the `/assets` path agrees with Foundation's parser, which it replaces there.
@Suite struct UUIDTextTests {
    @Test(arguments: [
        "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "3F2504E0-4F89-11D3-9A0C-0305E82C3301", "3f2504e0-4f89-11d3-9a0c-0305e82c330",
        "3f2504e0-4f89-11d3-9a0c-0305e82c33011", "3f2504e04f8911d39a0c0305e82c3301", "3f2504e0_4f89-11d3-9a0c-0305e82c3301",
        "3g2504e0-4f89-11d3-9a0c-0305e82c3301", "", "../../etc/passwd", "3f2504e0-4f89-11d3-9a0c-0305e82c330\u{e9}",
        "{3f2504e0-4f89-11d3-9a0c-0305e82c3301}", " 3f2504e0-4f89-11d3-9a0c-0305e82c3301",
    ])
    func agreesWithFoundation(text: String) {
        #expect(text.isUUIDText == (UUID(uuidString: text) != nil))
    }
}
