#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A policy's `ip_access`: addresses and CIDR blocks, IPv4 or IPv6 (an IPv4-mapped IPv6 caller counts as IPv4).
public enum IPAccess {
    public static func allows(_ ip: String, list: [String]) -> Bool {
        guard var address = bytes(ip) else { return false }
        if address.count == 16, address.prefix(12) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] { address = Array(address.suffix(4)) }
        return list.contains { entry in
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            guard let network = bytes(parts[0]), network.count == address.count else { return false }
            let bits = parts.count == 2 ? Int(parts[1]) ?? -1 : network.count * 8
            guard (0...network.count * 8).contains(bits) else { return false }
            for index in 0..<network.count where bits - index * 8 > 0 {
                let remaining = bits - index * 8
                let mask: UInt8 = remaining >= 8 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF << (8 - remaining))
                if address[index] & mask != network[index] & mask { return false }
            }
            return true
        }
    }

    private static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
