import CMS

/// Which proxies may tell the client's address in `X-Forwarded-For` (`IP_TRUST_PROXY`), and an optional header
/// that carries it outright (`IP_CUSTOM_HEADER`, e.g. `CF-Connecting-IP`). `true` trusts every hop, as
/// Directus's default; Depot's default trusts proxies on loopback and private networks only, so a client that
/// reaches the server directly can't choose its own address (and escape the per-address limits).
public struct ProxyTrust: Sendable, Equatable {
    public enum Trust: Sendable, Equatable {
        case none
        case all
        case addresses([String])
    }
    public var trust: Trust = .addresses(Self.privateNetworks)
    public var customHeader: String?

    static let privateNetworks = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "fe80::/10"]

    public init() {}

    init(_ env: EnvironmentSource) throws {
        if let value = env["IP_TRUST_PROXY"] {
            switch value.lowercased() {
            case "true": trust = .all
            case "false": trust = .none
            default: trust = .addresses(value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
            }
        }
        if let header = env["IP_CUSTOM_HEADER"], header.lowercased() != "false", !header.isEmpty { customHeader = header }
    }

    /// The client's address: from the custom header, or the last untrusted hop of `X-Forwarded-For` walking back
    /// from the socket's peer.
    public func clientAddress(peer: String?, forwardedFor: String?, custom: String?) -> String? {
        if customHeader != nil, let custom = custom?.trimmingCharacters(in: .whitespaces), !custom.isEmpty { return custom }
        guard var address = peer, let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for hop in hops.reversed() {
            guard trusts(address) else { break }
            address = hop
        }
        return address
    }

    private func trusts(_ address: String) -> Bool {
        switch trust {
        case .none: false
        case .all: true
        case .addresses(let list): IPAccess.allows(address, list: list)
        }
    }
}
