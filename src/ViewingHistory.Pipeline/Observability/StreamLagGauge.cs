using System.Diagnostics.Metrics;
using ViewingHistory.Queue;

namespace ViewingHistory.Pipeline.Observability;

/// <summary>
/// A lag gauge with one series per stream of the consumer it observes (label <c>stream</c>: the JetStream stream, or
/// <c>log</c> for the embedded log), so that a sharded queue shows which stream falls behind; the total is the sum of
/// the series. Until a consumer is observed, one series at 0 without the label.
/// </summary>
internal sealed class StreamLagGauge
{
    private static readonly Measurement<long>[] None = [new(0)];
    private volatile IQueueConsumer? _consumer;

    public void Observe(IQueueConsumer consumer) => _consumer = consumer;

    public IEnumerable<Measurement<long>> Read()
    {
        if (_consumer is not { } consumer)
        {
            return None;
        }

        var lags = consumer.StreamLags;
        var measurements = new Measurement<long>[lags.Count];
        for (var i = 0; i < lags.Count; i++)
        {
            measurements[i] = new Measurement<long>(lags[i].Value, new KeyValuePair<string, object?>("stream", lags[i].Key));
        }

        return measurements;
    }
}
