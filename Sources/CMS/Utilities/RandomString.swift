import Foundation

/// `GET /utils/random/string`: a random string over nanoid's URL-safe alphabet, as Directus makes it.
public enum RandomString {
    /// nanoid's alphabet: 64 symbols, so one random byte's low six bits pick one without bias.
    static let alphabet = Array("useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict".utf8)
    static let lengths = 1...500
    static let defaultLength = 32

    /// A string of `length` symbols (`nil`: 32); a length that is not a whole number in 1…500 is INVALID_QUERY.
    public static func make(length text: String?) throws(CMSError) -> String {
        let length = try Self.length(text)
        var generator = SystemRandomNumberGenerator()
        let symbols = (0..<length).map { _ -> UInt8 in
            let byte: UInt8 = generator.next()
            return alphabet[Int(byte & 63)]
        }
        return String(decoding: symbols, as: UTF8.self)
    }

    static func length(_ text: String?) throws(CMSError) -> Int {
        guard let text else { return defaultLength }
        guard let number = Double(text.trimmingCharacters(in: .whitespaces)), number.isFinite else {
            throw CMSError.invalidQuery("\"length\" must be a number")
        }
        guard number == number.rounded() else { throw CMSError.invalidQuery("\"length\" must be an integer") }
        guard number >= Double(lengths.lowerBound) else { throw CMSError.invalidQuery("\"length\" must be greater than or equal to \(lengths.lowerBound)") }
        guard number <= Double(lengths.upperBound) else { throw CMSError.invalidQuery("\"length\" must be less than or equal to \(lengths.upperBound)") }
        return Int(number)
    }
}
