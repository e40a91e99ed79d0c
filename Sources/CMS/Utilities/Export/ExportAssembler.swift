import CSV
import Foundation

/// Builds an export file in a spool file one batch of items at a time with the `export=` writers, so an export
/// holds one batch in memory, never the whole collection. JSON, YAML and XML are written as batches arrive; a
/// CSV header names every column of every row, so CSV rows are first kept flattened (one JSON object per line)
/// and written out once the header is known.
final class ExportAssembler {
    let format: ExportFormat
    let output: SpoolFile
    private var items = 0
    private var header: [String] = []
    private var columns: Set<String> = []
    private var flattened: SpoolFile?

    init(format: ExportFormat, output: SpoolFile) {
        self.format = format
        self.output = output
    }

    func append(_ batch: [JSONValue]) async throws {
        guard !batch.isEmpty else { return }
        defer { items += batch.count }
        switch format {
        case .json:
            var bytes: [UInt8] = []
            for (index, item) in batch.enumerated() {
                bytes.append(items == 0 && index == 0 ? UInt8(ascii: "[") : UInt8(ascii: ","))
                item.write(into: &bytes)
            }
            try await output.append(bytes)
        case .yaml:
            try await output.append(try format.encode(batch))
        case .xml:
            var text = items == 0 ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<data>\n" : ""
            for item in batch { text += XMLExport.element(item) + "\n" }
            try await output.append(Array(text.utf8))
        case .csv:
            var lines: [UInt8] = []
            for item in batch {
                let row = CSVExport.flatten(item)
                for (column, _) in row where columns.insert(column).inserted { header.append(column) }
                JSONValue.object(row).write(into: &lines)
                lines.append(UInt8(ascii: "\n"))
            }
            if flattened == nil { flattened = try await SpoolFile.create() }
            try await flattened!.append(lines)
        }
    }

    /// Ends the file (closing brackets; the CSV rows under their header).
    func finish() async throws {
        switch format {
        case .json: try await output.append(Array((items == 0 ? "[]" : "]").utf8))
        case .yaml: if items == 0 { try await output.append(Array("[]\n".utf8)) }
        case .xml: try await output.append(Array((items == 0 ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<data>\n</data>\n" : "</data>\n").utf8))
        case .csv:
            guard let flattened else { return }
            defer { flattened.remove() }
            let header = self.header, source = flattened.path, target = output.path
            try await output.run { try Self.writeCSV(header: header, rows: source, to: target) }
        }
    }

    /// Writes the header and the flattened rows of `rows` as CSV (blocking: runs on the spool's pool). CSV.swift
    /// writes a byte at a time, so rows are written in memory a thousand at a time and appended in one write.
    private static func writeCSV(header: [String], rows path: String, to target: String) throws {
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: target))
        defer { try? file.close() }
        try file.seekToEnd()
        var pending: [[String]] = [header]
        func flush(first: Bool) throws {
            guard !pending.isEmpty else { return }
            let writer = try CSVWriter(stream: .toMemory())
            for row in pending { try writer.write(row: row) }
            writer.stream.close()
            let data = writer.stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data ?? Data()
            // The writer puts a newline between rows, none after the last: chunks are joined the same way.
            try file.write(contentsOf: first ? data : Data("\n".utf8) + data)
            pending.removeAll(keepingCapacity: true)
        }
        var first = true
        var bytes = try FileChunks(path: path)
        var line: [UInt8] = []
        while let byte = try bytes.next() {
            guard byte == UInt8(ascii: "\n") else { line.append(byte); continue }
            let row = try JSONValue.parse(line)
            line.removeAll(keepingCapacity: true)
            pending.append(header.map { column in row[column].map(CSVExport.cell) ?? "" })
            if pending.count >= 1000 {
                try flush(first: first)
                first = false
            }
        }
        try flush(first: first)
    }
}
