using System.Buffers;
using System.Text.Json;
using ViewingHistory.Core.Events;

namespace ViewingHistory.Cli.Simulation;

/// <summary>A batch of events in the contract's wire form.</summary>
internal static class EventJson
{
    public static byte[] Serialize(IReadOnlyList<PlaybackEvent> batch)
    {
        var buffer = new ArrayBufferWriter<byte>(batch.Count * 260);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var e in batch)
            {
                w.WriteStartObject();
                w.WriteString("eventId", e.EventId);
                w.WriteString("memberId", e.MemberId);
                w.WriteString("titleId", e.TitleId);
                w.WriteString("sessionId", e.SessionId);
                w.WriteNumber("seq", e.Seq);
                w.WriteString("type", e.Type.ToWire());
                w.WriteNumber("positionMs", e.PositionMs);
                w.WriteNumber("durationMs", e.DurationMs);
                w.WriteString("timestamp", Timestamps.Format(e.TimestampMs));
                if (e.Device is not null)
                {
                    w.WriteString("device", e.Device);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
