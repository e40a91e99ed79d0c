extension StringProtocol {
    /// Whether `needle` occurs, searched on UTF-8 bytes. Foundation's `contains` bridges to NSString and the
    /// standard library's `firstRange(of:)` is unspecialised generic code; both showed on every cached request.
    func containsBytes(_ needle: StaticString) -> Bool {
        let pattern = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        guard let first = pattern.first else { return true }
        let text = Array(utf8)
        guard text.count >= pattern.count else { return false }
        for start in 0...(text.count - pattern.count) where text[start] == first {
            if text[start..<(start + pattern.count)].elementsEqual(pattern) { return true }
        }
        return false
    }
}
