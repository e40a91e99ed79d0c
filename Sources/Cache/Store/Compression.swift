import CZlib

/// Framing of a stored value: `r` + the bytes, or `z` + 4-byte big-endian length + the bytes deflated (zlib).
enum Compression {
    static func pack(_ value: [UInt8], from threshold: Int) -> [UInt8] {
        guard value.count >= threshold else { return [UInt8(ascii: "r")] + value }
        var size = compressBound(uLong(value.count))
        var out = [UInt8](repeating: 0, count: Int(size) + 5)
        let status = out.withUnsafeMutableBufferPointer { buffer in
            compress2(buffer.baseAddress! + 5, &size, value, uLong(value.count), 1)
        }
        guard status == Z_OK, Int(size) < value.count else { return [UInt8(ascii: "r")] + value }
        out[0] = UInt8(ascii: "z")
        let n = UInt32(value.count)
        out[1] = UInt8(n >> 24); out[2] = UInt8((n >> 16) & 0xff); out[3] = UInt8((n >> 8) & 0xff); out[4] = UInt8(n & 0xff)
        return Array(out.prefix(Int(size) + 5))
    }

    static func unpack(_ stored: [UInt8]) throws -> [UInt8] {
        guard let kind = stored.first else { throw RedisError.command("empty cache value") }
        if kind == UInt8(ascii: "r") { return Array(stored.dropFirst()) }
        guard kind == UInt8(ascii: "z"), stored.count > 5 else { throw RedisError.command("unknown cache value format") }
        let n = Int(stored[1]) << 24 | Int(stored[2]) << 16 | Int(stored[3]) << 8 | Int(stored[4])
        guard n > 0 else { throw RedisError.command("corrupt cache value") }
        var size = uLong(n)
        var out = [UInt8](repeating: 0, count: n)
        let status = out.withUnsafeMutableBufferPointer { buffer in
            stored.withUnsafeBufferPointer { input in
                uncompress(buffer.baseAddress!, &size, input.baseAddress! + 5, uLong(stored.count - 5))
            }
        }
        guard status == Z_OK, Int(size) == n else { throw RedisError.command("corrupt cache value") }
        return out
    }
}
