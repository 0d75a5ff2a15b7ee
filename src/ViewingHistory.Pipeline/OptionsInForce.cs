namespace ViewingHistory.Pipeline;

/// <summary>
/// The options in force: the value validated at start, replaced only by a configuration reload that passed validation
/// as a whole (CONTRACT.md "Modes"). Read options through it, never through <c>IOptionsMonitor.CurrentValue</c>, which
/// throws after a reload that fails validation: an ingest request would answer 500, and a processor reading it after
/// its store commit would treat the applied batch as failed.
/// </summary>
/// <typeparam name="T">An immutable options record.</typeparam>
public sealed class OptionsInForce<T>(T initial)
    where T : class
{
    private T _current = initial ?? throw new ArgumentNullException(nameof(initial));

    /// <summary>The last valid value; never throws.</summary>
    public T Current => Volatile.Read(ref _current);

    /// <summary>Puts a validated value in force; readers see it from their next read.</summary>
    public void Replace(T value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Volatile.Write(ref _current, value);
    }
}
