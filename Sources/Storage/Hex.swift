/// Lowercase hexadecimal text of bytes (digests in keys, signatures and file names). Written by hand because
/// `String(format: "%02x")` goes through Foundation's formatter, which cost a third of a cache hit; inlinable so
/// each caller gets it specialised for its digest type.
public enum Hex {
    @inlinable
    public static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(digit(byte >> 4))
            text.append(digit(byte & 0x0F))
        }
        return String(decoding: text, as: UTF8.self)
    }

    @inlinable
    static func digit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }
}
