using Microsoft.Extensions.Logging;
using ViewingHistory.Pipeline.Processing;
using ViewingHistory.Queue;

namespace ViewingHistory.Pipeline.Archive;

/// <summary>
/// Drains the queue's own durable consumer "archive" into Parquet files. Deliveries are buffered up to
/// <see cref="ArchiveOptions.MaxRowsPerFile"/> events or <see cref="ArchiveOptions.FlushInterval"/>, written one
/// file per event hour, and acknowledged only once every file holding their events is durable: after a crash the
/// unacknowledged deliveries come again and may be written twice (at least once, never lost). Being a consumer of
/// its own, it never holds back ingest or the history processors; while it lags, the queue keeps its events.
/// </summary>
public sealed partial class ArchiveConsumer(
    IQueueConsumer consumer,
    string root,
    ArchiveOptions options,
    ArchiveCompactor compactor,
    ArchiveMetrics metrics,
    TimeProvider time,
    ConsumptionControl control,
    ILogger logger,
    ArchiveEraser eraser)
{
    private readonly List<QueueDelivery> _buffer = [];
    private readonly RetryLog _receives = new(logger, "Archive: receiving from the queue", LogLevel.Warning, time);
    private readonly RetryLog _writes = new(logger, "Archive: writing events", LogLevel.Error, time);
    private int _buffered;
    private DateTimeOffset _firstBufferedAt;

    /// <summary>Runs until <paramref name="stopping"/> fires, then writes and acknowledges what is buffered (bounded by <paramref name="drain"/>).</summary>
    public async Task RunAsync(CancellationToken stopping, CancellationToken drain)
    {
        var nextCompaction = time.GetUtcNow() + options.CompactInterval;
        var nextErasurePass = time.GetUtcNow();
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var wait = _buffer.Count == 0 ? options.FlushInterval : _firstBufferedAt + options.FlushInterval - time.GetUtcNow();
                await ReceiveAsync(Clamp(wait), stopping);
                if (_buffered >= options.MaxRowsPerFile || (_buffer.Count > 0 && time.GetUtcNow() >= _firstBufferedAt + options.FlushInterval))
                {
                    await FlushAsync(stopping);
                }

                // Compaction runs between flushes, when nothing is waiting to be acknowledged.
                if (_buffer.Count == 0 && time.GetUtcNow() >= nextCompaction)
                {
                    await CompactAsync(stopping);
                    nextCompaction = time.GetUtcNow() + options.CompactInterval;
                }

                // The erasure pass too: in this loop, so never beside a flush or a compaction of this root.
                if (_buffer.Count == 0 && time.GetUtcNow() >= nextErasurePass)
                {
                    await ErasurePassAsync(stopping);
                    nextErasurePass = time.GetUtcNow() + eraser.PassInterval;
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }

        if (_buffer.Count > 0)
        {
            await FlushAsync(drain);
        }
    }

    private static TimeSpan Clamp(TimeSpan wait) =>
        wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait;

    private async Task ReceiveAsync(TimeSpan wait, CancellationToken stopping)
    {
        if (control.IsPaused)
        {
            // Paused: fetch nothing, but come back by the flush deadline so that what is buffered is still written.
            await control.WaitWhilePausedAsync(wait, time, stopping);
            return;
        }

        QueueDelivery delivery;
        try
        {
            delivery = await consumer.ReceiveAsync(Math.Max(1, options.MaxRowsPerFile - _buffered), wait, stopping);
            _receives.Succeeded();
        }
        catch (Exception ex) when (!stopping.IsCancellationRequested && FailureClassifier.IsTransient(ex))
        {
            _receives.Failed(ex, "retrying in 0.5 s");
            await Task.Delay(TimeSpan.FromMilliseconds(500), time, stopping);
            return;
        }

        if (delivery.Entries.Count == 0)
        {
            return;
        }

        if (_buffer.Count == 0)
        {
            _firstBufferedAt = time.GetUtcNow();
        }

        _buffer.Add(delivery);
        _buffered += delivery.EventCount;
    }

    /// <summary>Writes the buffer and acknowledges it; a failed write is retried (keeping the deliveries alive) until it succeeds or the token fires.</summary>
    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await WriteBufferAsync(cancellationToken);
                _writes.Succeeded();
                break;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // A file written before the failure stays: its rows come again in the retry (duplicates, not loss).
                _writes.Failed(ex, $"{_buffered} events not acknowledged; retrying in 1 s");
                foreach (var delivery in _buffer)
                {
                    await consumer.KeepAliveAsync(delivery, cancellationToken);
                }

                await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken);
            }
        }

        foreach (var delivery in _buffer)
        {
            await consumer.AckAsync(delivery, cancellationToken);
        }

        metrics.Archived(_buffered);
        _buffer.Clear();
        _buffered = 0;
    }

    private async Task WriteBufferAsync(CancellationToken cancellationToken)
    {
        // Keyed by the hour's number: its directory's name is formatted once per hour, not once per event.
        var byHour = new Dictionary<long, List<ArchiveRow>>();
        foreach (var entry in _buffer.SelectMany(d => d.Entries))
        {
            if (entry.Batch is null)
            {
                // Undecodable bytes: the history processor dead-letters the entry with its reason; there is no event to archive.
                LogSkipped(entry.Id, entry.DecodeError);
                continue;
            }

            foreach (var e in entry.Batch.Events)
            {
                var hour = ArchiveFiles.HourOf(e.TimestampMs);
                if (!byHour.TryGetValue(hour, out var rows))
                {
                    byHour[hour] = rows = [];
                }

                rows.Add(ArchiveRow.From(e, entry.Batch.AcceptedAtMs));
            }
        }

        foreach (var (hour, all) in byHour)
        {
            // Marks read now, after the rows were gathered: a covered row never reaches a file written from here on.
            var rows = await eraser.DropCoveredAsync(all, cancellationToken);
            var directory = ArchiveFiles.HourDirectory(root, hour);
            foreach (var chunk in rows.Chunk(options.MaxRowsPerFile))
            {
                await ArchiveFiles.WriteAsync(directory, "part", chunk, cancellationToken);
            }
        }
    }

    private async Task ErasurePassAsync(CancellationToken cancellationToken)
    {
        try
        {
            await eraser.RegisterAsync(cancellationToken);
            await eraser.RunPassAsync(cancellationToken);
            if (options.Retention is { } retention)
            {
                ArchiveEraser.DeleteExpired(root, retention, time.GetUtcNow());
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The root stays pending in the store: the next pass tries again.
            LogErasurePassFailed(ex);
        }
    }

    private async Task CompactAsync(CancellationToken cancellationToken)
    {
        try
        {
            await compactor.CompactAsync(cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Compaction is an optimisation: the parts are intact until their merged file is durable.
            LogCompactionFailed(ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Archive: entry {Id} is undecodable ({Error}); nothing to archive")]
    private partial void LogSkipped(string id, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Archive: the erasure pass failed; trying again at the next interval")]
    private partial void LogErasurePassFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Archive: compaction failed; the files stay as they are until the next run")]
    private partial void LogCompactionFailed(Exception exception);
}
