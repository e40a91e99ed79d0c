import NIOPosix

/// A connection that the pool can discard when it broke.
protocol PooledConnection: AnyObject, Sendable {
    var isBroken: Bool { get }
    func close()
}

/// Hands out at most `maxConnections` connections; callers beyond that wait in FIFO order.
/// Connections are created lazily and their blocking work runs on `threads`.
final class ConnectionPool<Connection: PooledConnection>: Sendable {
    private let state: PoolState<Connection>
    let threads: NIOThreadPool
    let maxConnections: Int
    private let factory: @Sendable () throws -> Connection

    init(maxConnections: Int, threads: NIOThreadPool, factory: @escaping @Sendable () throws -> Connection) {
        self.maxConnections = maxConnections
        self.threads = threads
        self.factory = factory
        self.state = PoolState(max: maxConnections)
    }

    /// Runs `body` with a connection on a pool thread; the connection returns to the pool afterwards.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        let connection: Connection
        switch try await state.checkout() {
        case .idle(let c):
            connection = c
        case .create:
            do {
                connection = try await threads.runIfActive { [factory] in try factory() }
            } catch {
                await state.creationFailed()
                throw error
            }
        }
        do {
            let result = try await threads.runIfActive { try body(connection) }
            await state.checkin(connection)
            return result
        } catch {
            await state.checkin(connection)
            throw error
        }
    }

    func status() async -> PoolStatus { await state.status() }

    func close() async {
        for connection in await state.drain() {
            try? await threads.runIfActive { connection.close() }
        }
    }
}

private actor PoolState<Connection: PooledConnection> {
    enum Checkout { case idle(Connection), create }

    let max: Int
    var idle: [Connection] = []
    var open = 0
    var waiters: [CheckedContinuation<Checkout, any Error>] = []
    var closed = false

    init(max: Int) { self.max = max }

    func checkout() async throws -> Checkout {
        if closed { throw DatabaseError.closed }
        if let c = idle.popLast() { return .idle(c) }
        if open < max {
            open += 1
            return .create
        }
        return try await withCheckedThrowingContinuation { waiters.append($0) }
    }

    func checkin(_ connection: Connection) {
        if closed || connection.isBroken {
            if connection.isBroken { connection.close() }
            open -= 1
            if !closed, !waiters.isEmpty {
                open += 1
                waiters.removeFirst().resume(returning: .create)
            }
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: .idle(connection))
        } else {
            idle.append(connection)
        }
    }

    func creationFailed() {
        open -= 1
        if !waiters.isEmpty {
            open += 1
            waiters.removeFirst().resume(returning: .create)
        }
    }

    func status() -> PoolStatus { PoolStatus(open: open, idle: idle.count, max: max) }

    func drain() -> [Connection] {
        closed = true
        for waiter in waiters { waiter.resume(throwing: DatabaseError.closed) }
        waiters = []
        let all = idle
        idle = []
        open -= all.count
        return all
    }
}
