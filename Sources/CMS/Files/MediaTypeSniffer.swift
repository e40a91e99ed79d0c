import Foundation

/// The media type of a file from its first bytes, reconciled with what the client declared.
public enum MediaTypeSniffer {
    /// A type recognised from magic numbers, or nil.
    public static func sniff(_ head: [UInt8]) -> String? {
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + magic.count && Array(head[offset..<offset + magic.count]) == magic
        }
        func ascii(_ text: String, at offset: Int = 0) -> Bool { starts(Array(text.utf8), at: offset) }
        if starts([0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if ascii("GIF87a") || ascii("GIF89a") { return "image/gif" }
        if ascii("RIFF"), ascii("WEBP", at: 8) { return "image/webp" }
        if ascii("RIFF"), ascii("WAVE", at: 8) { return "audio/wav" }
        if ascii("RIFF"), ascii("AVI ", at: 8) { return "video/x-msvideo" }
        if ascii("ftyp", at: 4), head.count >= 12 {
            let brand = String(decoding: head[8..<12], as: UTF8.self)
            switch brand {
            case "avif", "avis": return "image/avif"
            case "heic", "heix", "mif1", "msf1": return "image/heic"
            case "qt  ": return "video/quicktime"
            case "M4A ": return "audio/mp4"
            default: return "video/mp4"
            }
        }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return "image/tiff" }
        if ascii("BM"), head.count > 14 { return "image/bmp" }
        if starts([0x00, 0x00, 0x01, 0x00]) { return "image/x-icon" }
        if ascii("%PDF-") { return "application/pdf" }
        if starts([0x50, 0x4B, 0x03, 0x04]) { return "application/zip" }
        if starts([0x1F, 0x8B]) { return "application/gzip" }
        if ascii("ID3") || starts([0xFF, 0xFB]) { return "audio/mpeg" }
        if ascii("OggS") { return "audio/ogg" }
        if ascii("fLaC") { return "audio/flac" }
        if starts([0x1A, 0x45, 0xDF, 0xA3]) { return "video/webm" }
        // Markup that a browser would run: recognised whatever the client claimed.
        let text = String(decoding: head.prefix(1024), as: UTF8.self).lowercased()
            .trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: "\u{FEFF}")))
        if text.hasPrefix("<svg") || (text.hasPrefix("<?xml") && text.contains("<svg")) { return "image/svg+xml" }
        if text.hasPrefix("<!doctype html") || text.hasPrefix("<html") || text.hasPrefix("<script") { return "text/html" }
        if text.hasPrefix("<?xml") { return "application/xml" }
        return nil
    }

    /// Magic numbers win over the declared type; without them the declared type, then the file extension,
    /// then `text/plain` or `application/octet-stream`. A raster image type the bytes do not back up is not
    /// believed (its magic numbers would have matched).
    public static func resolve(head: [UInt8], declared: String?, filename: String?) -> String {
        if let sniffed = sniff(head) { return sniffed }
        func believable(_ type: String) -> Bool { !type.hasPrefix("image/") || type == "image/svg+xml" }
        if let declared = declared?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased(),
           declared.contains("/"), declared != "application/octet-stream", believable(declared) {
            return declared
        }
        if let type = filename.flatMap(fileExtension).flatMap({ byExtension[$0] }), believable(type) { return type }
        return looksLikeText(head) ? "text/plain" : "application/octet-stream"
    }

    static func looksLikeText(_ head: [UInt8]) -> Bool {
        !head.isEmpty && !head.contains(0) && String(validating: head.prefix(4000), as: UTF8.self) != nil
    }

    public static func fileExtension(_ filename: String) -> String? {
        guard let dot = filename.lastIndex(of: "."), dot != filename.startIndex else { return nil }
        let ext = filename[filename.index(after: dot)...].lowercased()
        guard !ext.isEmpty, ext.count <= 10, ext.allSatisfy({ $0.isLetter || $0.isNumber }) else { return nil }
        return ext
    }

    /// The extension stored objects get for a type when the file name has none.
    public static func defaultExtension(_ type: String) -> String? {
        byExtension.first { $0.value == type && $0.key.count <= 4 }?.key
    }

    static let byExtension: [String: String] = [
        "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp",
        "avif": "image/avif", "heic": "image/heic", "tif": "image/tiff", "tiff": "image/tiff", "bmp": "image/bmp",
        "svg": "image/svg+xml", "ico": "image/x-icon", "pdf": "application/pdf", "zip": "application/zip",
        "gz": "application/gzip", "json": "application/json", "csv": "text/csv", "txt": "text/plain",
        "md": "text/markdown", "html": "text/html", "htm": "text/html", "xml": "application/xml",
        "mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg", "flac": "audio/flac", "mp4": "video/mp4",
        "mov": "video/quicktime", "webm": "video/webm", "avi": "video/x-msvideo", "js": "text/javascript",
        "css": "text/css",
    ]
}
