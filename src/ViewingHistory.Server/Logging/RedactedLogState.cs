using System.Collections;
using ViewingHistory.Core.Diagnostics;

namespace ViewingHistory.Server.Logging;

/// <summary>A log entry's state with its text values redacted: structured formatters (JSON, OpenTelemetry) write the values, not only the message.</summary>
internal sealed class RedactedLogState : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly List<KeyValuePair<string, object?>> _values;

    public RedactedLogState(string message, IEnumerable<KeyValuePair<string, object?>>? values)
    {
        Message = message;
        _values = values is null
            ? []
            : [.. values.Select(v => v.Key == "{OriginalFormat}" || v.Value is null || v.Value is ValueType
                ? v
                : new KeyValuePair<string, object?>(v.Key, Redaction.Secrets(v.Value.ToString())))];
    }

    /// <summary>The formatted message, redacted.</summary>
    public string Message { get; }

    public int Count => _values.Count;

    public KeyValuePair<string, object?> this[int index] => _values[index];

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => Message;
}
