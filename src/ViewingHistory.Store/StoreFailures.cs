using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ViewingHistory.Store;

/// <summary>
/// The one place that knows which engine errors are about the store's state rather than about the data written
/// (README "Failure handling" has the same table). Both stores translate what this calls store state into
/// <see cref="StoreUnavailableException"/> at the seam, so nothing above the seam needs engine knowledge. It errs on
/// the side of keeping data: an error counts as possibly the data's fault only where its code says the data was
/// refused (PostgreSQL classes 22, 23, 54 and P0; SQLite CONSTRAINT, TOOBIG, MISMATCH, RANGE and the generic ERROR),
/// and even then the processor proves it against a store that accepts other writes before it dead-letters anything.
/// </summary>
public static class StoreFailures
{
    /// <summary>
    /// True when <paramref name="exception"/> (or what it wraps) says the store cannot take the operation now:
    /// unreachable, timed out, read-only, shutting down, out of disk, memory or connections, locked, busy,
    /// serialization or deadlock, I/O or internal error. Such a failure is retried for as long as it lasts.
    /// </summary>
    public static bool IsStoreState(Exception exception) => exception switch
    {
        StoreUnavailableException => true,
        PostgresException pg => IsStoreState(pg.SqlState),
        NpgsqlException => true, // raised by the client itself: the connection, the pool, a timeout, the protocol
        SqliteException sqlite => IsStoreState(sqlite.SqliteErrorCode, sqlite.SqliteExtendedErrorCode),
        SocketException or TimeoutException or IOException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.Any(IsStoreState),
        _ => exception.InnerException is { } inner && IsStoreState(inner),
    };

    /// <summary>
    /// PostgreSQL, by SQLSTATE: everything is the store's state except what says the row itself was refused (class
    /// 22 data exception, 23 integrity constraint violation, 54 program limit exceeded such as an index row too big,
    /// P0 raised by a PL/pgSQL trigger). Among the store-state codes are class 08 (connection), 25006 (read-only
    /// transaction, as after a failover), 57014 (statement timeout or cancel), 57P01..57P03 (admin or crash
    /// shutdown, cannot connect now), class 53 (53100 disk full, 53200 out of memory, 53300 too many connections),
    /// 40001 and 40P01 (serialization failure, deadlock), 55P03 (lock not available), class 58 (system and I/O
    /// errors), class XX (internal errors), and class 42 (a missing table or privilege is the schema's state, never
    /// the data's: every statement is parameterized).
    /// </summary>
    public static bool IsStoreState(string? sqlState) => sqlState is not { Length: 5 } || sqlState[..2] switch
    {
        "22" or "23" or "54" or "P0" => false,
        _ => true,
    };

    /// <summary>
    /// SQLite, by primary result code (the low byte of the extended one: SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED,
    /// SQLITE_BUSY_SNAPSHOT... share their primary's fate): everything is the store's state except CONSTRAINT (19),
    /// TOOBIG (18), MISMATCH (20), RANGE (25) and the generic ERROR (1), which the processor still has to prove against
    /// a working store. Among the store-state codes: BUSY (5), LOCKED (6), NOMEM (7), READONLY (8), INTERRUPT (9),
    /// IOERR (10), CORRUPT (11), FULL (13), CANTOPEN (14), PROTOCOL (15), SCHEMA (17), PERM (3), AUTH (23), NOTADB (26).
    /// </summary>
    public static bool IsStoreState(int errorCode, int extendedErrorCode)
    {
        var primary = (extendedErrorCode != 0 ? extendedErrorCode : errorCode) & 0xFF;
        return primary switch
        {
            0 => false, // not an engine error code at all: the message decides nothing here
            1 or 18 or 19 or 20 or 25 => false,
            _ => true,
        };
    }
}
