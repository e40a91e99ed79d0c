import CMS
import Hummingbird

extension ErrorEnvelope {
    /// A refused import: every grouped error in one envelope, each with the rows it concerns (Directus's shape:
    /// `extensions: {code, field, type, rows}`).
    static func response(_ failure: ImportFailure) -> Response {
        let errors: [JSONValue] = failure.entries.map { entry in
            var extensions: [(String, JSONValue)] = [("code", .string(entry.error.code))]
            extensions += entry.error.extensions.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }
            if !entry.rows.isNull { extensions.append(("rows", entry.rows)) }
            return .object([("message", .string(entry.error.message)), ("extensions", .object(extensions))])
        }
        return JSONResponse.make(.object([("errors", .array(errors))]), status: HTTPResponse.Status(code: failure.status))
    }
}
