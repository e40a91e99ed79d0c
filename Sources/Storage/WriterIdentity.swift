import Foundation
import Glibc

/// Who is writing: this process (`pid@host`) and when it started. Temporary files and pending uploads carry the
/// writer's tag, so that after a crash a later process can tell the leftovers of a dead writer from the work in
/// progress of a live one sharing the same volume or database.
public struct WriterIdentity: Sendable, Equatable {
    public let pid: Int32
    /// The host name, reduced to `[A-Za-z0-9.-]` (at most 64 characters).
    public let host: String
    /// When the process started.
    public let started: Date

    public init(pid: Int32, host: String, started: Date) {
        self.pid = pid
        self.host = Self.sanitised(host)
        self.started = started
    }

    /// This process.
    public static let current = WriterIdentity(pid: getpid(), host: ProcessInfo.processInfo.hostName, started: processStart() ?? Date())

    /// `pid@host`.
    public var tag: String { "\(pid)@\(host)" }

    /// Reads a tag back; nil when it is not one.
    public static func parse(_ tag: some StringProtocol) -> (pid: Int32, host: String)? {
        guard let at = tag.firstIndex(of: "@"), let pid = Int32(tag[..<at]), pid > 0 else { return nil }
        let host = String(tag[tag.index(after: at)...])
        return host.isEmpty ? nil : (pid, host)
    }

    /// Whether work (a temporary file, a pending upload) tagged `tag` and last touched at `lastTouched` is
    /// abandoned. Known at once when its writer ran on this host and its process no longer exists, or had this
    /// process's id and was touched before this process started (an earlier process: a container restarted
    /// with the same pid). Otherwise — a live writer, one of another host that cannot be asked, a tag that does
    /// not parse — only once untouched for `staleAfter` seconds.
    public func hasAbandoned(_ tag: (some StringProtocol)?, lastTouched: Date, staleAfter: TimeInterval, now: Date = Date()) -> Bool {
        if let tag, let writer = Self.parse(tag), writer.host == host {
            // The start time from /proc is never later than the real one: this process's own work is never taken.
            if writer.pid == pid { if lastTouched < started { return true } }
            else if kill(writer.pid, 0) != 0 && errno == ESRCH { return true }
        }
        return lastTouched < now.addingTimeInterval(-staleAfter)
    }

    static func sanitised(_ host: String) -> String {
        let kept = host.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "." || scalar == "-") ? Character(scalar) : "_"
        }
        let text = String(kept.prefix(64))
        return text.isEmpty ? "localhost" : text
    }

    /// The process's start time from `/proc` (boot time + start ticks), so "older than the process" does not
    /// depend on when this value is first read.
    private static func processStart() -> Date? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name start at field 3; starttime is field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]),
              let system = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = system.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
              let boot = Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) else { return nil }
        let hertz = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard hertz > 0 else { return nil }
        return Date(timeIntervalSince1970: boot + ticks / hertz)
    }
}
