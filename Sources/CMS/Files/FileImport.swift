import Foundation
import NIOCore
import Storage

extension FilesService {
    /// `POST /files/import`: downloads `url` (http/https, public addresses only, bounded redirects, size and
    /// time) and stores it like an upload. Refusals are 400; an upstream that fails is 503.
    public func importFile(_ accountability: Accountability, url text: String, data: JSONValue?, http: CurlSession) async throws -> String {
        try await guardian.rules(accountability, "create", fields: data?.objectKeys ?? [])
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty else {
            throw CMSError.invalidPayload("\"url\" must be an http or https URL")
        }
        var request = CurlRequest(method: "GET", url: text)
        request.maxRedirects = configuration.importMaxRedirects
        request.totalTimeoutMilliseconds = configuration.importTimeoutMilliseconds
        request.connectTimeoutMilliseconds = min(10_000, configuration.importTimeoutMilliseconds)
        let policy = ImportAddressPolicy(denyList: configuration.importDenyList)
        request.addressFilter = { policy.allows($0) }
        let head: CurlResponseHead, stream: ByteStream?
        do {
            (head, stream, _) = try await http.stream(request) { (200..<300).contains($0.status) }
        } catch let error as CurlError {
            if error.refusedByFilter {
                throw CMSError(code: "INVALID_PAYLOAD", status: 400, message: "Invalid payload. Couldn't fetch file from URL: the address is not allowed.",
                               extensions: ["reason": "address not allowed"])
            }
            if error.code == 47 { throw CMSError.invalidPayload("Too many redirects (limit \(configuration.importMaxRedirects))") }
            if error.code == 1 || error.code == 3 { throw CMSError.invalidPayload("\"url\" is not a supported URL") }
            throw CMSError.serviceUnavailable("external-file", "Couldn't fetch file from URL: \(error.message)")
        }
        guard let stream else {
            throw CMSError.serviceUnavailable("external-file", "Couldn't fetch file from URL: the server answered \(head.status)")
        }
        if let length = head.header("Content-Length").flatMap(Int64.init), let max = configuration.maxUploadSize, length > max {
            throw CMSError(code: "CONTENT_TOO_LARGE", status: 413, message: "Uploaded content is too large (limit \(max) bytes).")
        }
        var metadata: [(String, String)] = []
        if case .object(let object, let keys) = data ?? .null {
            for key in keys {
                let value = object[key]!
                metadata.append((key, value.stringValue ?? String(decoding: value.serialized(), as: UTF8.self)))
            }
        }
        let name = Self.filename(from: head.header("Content-Disposition")) ?? url.path.split(separator: "/").last.map(String.init)?.removingPercentEncoding
        return try await upload(accountability, metadata: metadata, filename: name, declaredType: head.header("Content-Type"), body: stream)
    }

    static func filename(from disposition: String?) -> String? {
        guard let disposition, let range = disposition.range(of: "filename=") else { return nil }
        let value = disposition[range.upperBound...].split(separator: ";").first.map(String.init) ?? ""
        let name = value.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        return name.isEmpty ? nil : (name as NSString).lastPathComponent
    }
}
