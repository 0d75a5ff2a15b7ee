using System.Globalization;
using System.Text;
using System.Text.Json;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;
using ViewingHistory.Server.Json;
using ViewingHistory.Store.Rights;

namespace ViewingHistory.Server.Endpoints;

/// <summary>
/// Writes an export to a stream as the store hands over its rows, flushing as it goes, so a member with 100,000 items
/// is never held in memory whole (CONTRACT.md "Member data rights").
/// </summary>
internal abstract class MemberExportWriter : IMemberExportSink, IAsyncDisposable
{
    private const int FlushBytes = 64 * 1024;

    public abstract ValueTask BeginAsync(IReadOnlyList<HideMark> hides, ErasureRecord? erasure, CancellationToken cancellationToken);

    public abstract ValueTask ItemAsync(HistoryItem item, CancellationToken cancellationToken);

    public abstract ValueTask SessionAsync(ExportedSession session, CancellationToken cancellationToken);

    /// <summary>Ends the document after the store's last row.</summary>
    public abstract ValueTask CompleteAsync(CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    protected static async ValueTask FlushIfFullAsync(Utf8JsonWriter writer, CancellationToken cancellationToken)
    {
        if (writer.BytesPending >= FlushBytes)
        {
            await writer.FlushAsync(cancellationToken);
        }
    }
}

/// <summary>
/// <c>{"memberId", "exportedAt", "items": [...], "sessions": [...], "hides": [...], "erasedAt"?}</c>. The hides and the
/// erasure come first from the store and are few; they are written after the sessions, where the contract puts them.
/// </summary>
internal sealed class JsonExportWriter(Stream stream, string memberId, long exportedAtMs) : MemberExportWriter
{
    private readonly Utf8JsonWriter _writer = new(stream);
    private IReadOnlyList<HideMark> _hides = [];
    private ErasureRecord? _erasure;
    private bool _inSessions;

    public override ValueTask BeginAsync(IReadOnlyList<HideMark> hides, ErasureRecord? erasure, CancellationToken cancellationToken)
    {
        (_hides, _erasure) = (hides, erasure);
        _writer.WriteStartObject();
        _writer.WriteString("memberId", memberId);
        _writer.WriteString("exportedAt", Timestamps.Format(exportedAtMs));
        _writer.WriteStartArray("items");
        return ValueTask.CompletedTask;
    }

    public override ValueTask ItemAsync(HistoryItem item, CancellationToken cancellationToken)
    {
        JsonSerializer.Serialize(_writer, ItemDto.From(item), ApiJsonContext.Default.ItemDto);
        return FlushIfFullAsync(_writer, cancellationToken);
    }

    public override ValueTask SessionAsync(ExportedSession session, CancellationToken cancellationToken)
    {
        StartSessions();
        _writer.WriteStartObject();
        _writer.WriteString("titleId", session.TitleId);
        _writer.WriteString("sessionId", session.SessionId);
        WriteTime("startedAt", session.StartedAtMs);
        WriteTime("lastAt", session.LastAtMs);
        _writer.WriteNumber("positionMs", session.PositionMs);
        _writer.WriteNumber("durationMs", session.DurationMs);
        _writer.WriteString("device", session.Device);
        _writer.WriteBoolean("hidden", session.Hidden);
        _writer.WriteEndObject();
        return FlushIfFullAsync(_writer, cancellationToken);
    }

    public override async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        StartSessions();
        _writer.WriteEndArray();
        _writer.WriteStartArray("hides");
        foreach (var hide in _hides)
        {
            _writer.WriteStartObject();
            _writer.WriteString("titleId", hide.TitleId);
            WriteTime("at", hide.AtMs);
            _writer.WriteEndObject();
        }

        _writer.WriteEndArray();
        if (_erasure is { } erasure)
        {
            WriteTime("erasedAt", erasure.ErasedThroughMs);
        }

        _writer.WriteEndObject();
        await _writer.FlushAsync(cancellationToken);
    }

    public override ValueTask DisposeAsync() => _writer.DisposeAsync();

    private void StartSessions()
    {
        if (!_inSessions)
        {
            _inSessions = true;
            _writer.WriteEndArray();
            _writer.WriteStartArray("sessions");
        }
    }

    private void WriteTime(string name, long? ms)
    {
        if (ms is { } value)
        {
            _writer.WriteString(name, Timestamps.Format(value));
        }
        else
        {
            _writer.WriteNull(name);
        }
    }
}

/// <summary>
/// The items as CSV (CONTRACT.md): a header line, then one line per item newest first, every line ended by CRLF, values
/// as in the JSON, no quoting (the id alphabet needs none), a cell starting with '-' prefixed with "'" so that no
/// spreadsheet reads it as a formula. Sessions and hides are not part of the CSV.
/// </summary>
internal sealed class CsvExportWriter(Stream stream) : MemberExportWriter
{
    public const string Header = "titleId,lastWatchedAt,positionMs,durationMs,progress,completed,sessions";

    private readonly StreamWriter _writer = new(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16) { NewLine = "\r\n" };

    public override async ValueTask BeginAsync(IReadOnlyList<HideMark> hides, ErasureRecord? erasure, CancellationToken cancellationToken) =>
        await _writer.WriteLineAsync(Header.AsMemory(), cancellationToken);

    public override async ValueTask ItemAsync(HistoryItem item, CancellationToken cancellationToken) =>
        await _writer.WriteLineAsync(Line(item).AsMemory(), cancellationToken);

    public override ValueTask SessionAsync(ExportedSession session, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public override async ValueTask CompleteAsync(CancellationToken cancellationToken) => await _writer.FlushAsync(cancellationToken);

    public override ValueTask DisposeAsync()
    {
        // The stream is the caller's: it is streamed to the client after this writer is gone.
        _writer.Flush();
        return ValueTask.CompletedTask;
    }

    public static string Line(HistoryItem item)
    {
        var dto = ItemDto.From(item);
        return string.Join(
            ',',
            Cell(dto.TitleId),
            dto.LastWatchedAt,
            dto.PositionMs.ToString(CultureInfo.InvariantCulture),
            dto.DurationMs.ToString(CultureInfo.InvariantCulture),
            dto.Progress.ToString(CultureInfo.InvariantCulture),
            dto.Completed ? "true" : "false",
            dto.Sessions.ToString(CultureInfo.InvariantCulture));
    }

    private static string Cell(string value) => value.StartsWith('-') ? "'" + value : value;
}
