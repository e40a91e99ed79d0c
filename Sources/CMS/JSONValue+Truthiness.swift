extension JSONValue {
    /// JavaScript's truthiness, for Directus's `if (!body.x)` checks: null, false, 0, NaN and "" are false.
    public var isTruthy: Bool {
        switch self {
        case .null: false
        case .string(let text): !text.isEmpty
        case .bool(let flag): flag
        case .int(let number): number != 0
        case .double(let number): number != 0 && !number.isNaN
        case .array, .object: true
        }
    }
}
