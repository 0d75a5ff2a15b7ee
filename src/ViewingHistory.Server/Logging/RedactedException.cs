using ViewingHistory.Core.Diagnostics;

namespace ViewingHistory.Server.Logging;

/// <summary>
/// Stands in for a logged exception: the same text (type, message, inner exceptions, stack) with secrets masked.
/// Providers print <see cref="ToString"/>; the original stays reachable for nobody but the code that caught it.
/// </summary>
internal sealed class RedactedException : Exception
{
    private readonly string _text;

    public RedactedException(Exception original)
        : base(Redaction.Secrets((original ?? throw new ArgumentNullException(nameof(original))).Message))
    {
        _text = Redaction.Secrets(original.ToString());
        OriginalType = original.GetType().FullName ?? original.GetType().Name;
        StackTraceText = Redaction.Secrets(original.StackTrace);
        HResult = original.HResult;
    }

    public RedactedException()
    {
        _text = "";
        OriginalType = "";
        StackTraceText = "";
    }

    public RedactedException(string message)
        : this(message, null)
    {
    }

    public RedactedException(string message, Exception? innerException)
        : base(Redaction.Secrets(message), innerException is null ? null : new RedactedException(innerException))
    {
        _text = Redaction.Secrets(message);
        OriginalType = "";
        StackTraceText = "";
    }

    /// <summary>The full name of the exception's type.</summary>
    public string OriginalType { get; }

    private string StackTraceText { get; }

    public override string? StackTrace => StackTraceText;

    public override string ToString() => _text;
}
