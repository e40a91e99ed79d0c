import Foundation
import Storage

/// Which peer addresses a URL import may connect to (`IMPORT_IP_DENY_LIST`), checked on the resolved address of
/// every connection, redirects included, so that DNS tricks cannot reach inside the network.
public struct ImportAddressPolicy: Sendable {
    private let blocks: [(prefix: [UInt8], bits: Int)]

    /// `0.0.0.0` in the list stands for every loopback, private, link-local, unique-local and unspecified
    /// address, as in Directus.
    public init(denyList: [String]) {
        var blocks: [(prefix: [UInt8], bits: Int)] = []
        for entry in denyList.map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            if entry == "0.0.0.0" {
                blocks += Self.internalRanges.compactMap(Self.parseBlock)
            } else if let block = Self.parseBlock(entry) {
                blocks.append(block)
            }
        }
        self.blocks = blocks
    }

    static let internalRanges = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
        "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4", "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8",
    ]

    public func allows(_ address: IPAddress) -> Bool {
        var bytes = address.bytes
        // IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address it carries.
        if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF { bytes = Array(bytes[12...]) }
        return !blocks.contains { block in
            guard block.prefix.count == bytes.count else { return false }
            var remaining = block.bits
            for (a, b) in zip(block.prefix, bytes) {
                if remaining <= 0 { break }
                let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
                if a & mask != b & mask { return false }
                remaining -= 8
            }
            return true
        }
    }

    static func parseBlock(_ text: String) -> (prefix: [UInt8], bits: Int)? {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let address = parseAddress(String(parts[0])) else { return nil }
        let bits = parts.count == 2 ? Int(parts[1]) : address.count * 8
        guard let bits, bits >= 0, bits <= address.count * 8 else { return nil }
        return (address, bits)
    }

    static func parseAddress(_ text: String) -> [UInt8]? {
        if text.contains(":") {
            var groups: [UInt16] = []
            let halves = text.components(separatedBy: "::")
            guard halves.count <= 2 else { return nil }
            func parse(_ part: String) -> [UInt16]? {
                part.isEmpty ? [] : part.split(separator: ":").map { UInt16($0, radix: 16) }.reduce(into: [UInt16]?([])) { acc, v in
                    if let v, acc != nil { acc!.append(v) } else { acc = nil }
                }
            }
            guard let head = parse(halves[0]) else { return nil }
            let tail = halves.count == 2 ? parse(halves[1]) : []
            guard let tail, head.count + tail.count <= 8 else { return nil }
            groups = head + Array(repeating: 0, count: halves.count == 2 ? 8 - head.count - tail.count : 0) + tail
            guard groups.count == 8 else { return nil }
            return groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        }
        let octets = text.split(separator: ".").compactMap { UInt8($0) }
        return octets.count == 4 ? octets : nil
    }
}
