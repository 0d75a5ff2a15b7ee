using System.Buffers;
using System.Text;
using System.Text.Json;
using ViewingHistory.Core.History;

namespace ViewingHistory.Store.Sqlite;

/// <summary>Rows as one JSON array of arrays: SQLite's stand-in for array parameters (read with json_each).</summary>
internal static class Json
{
    public static string Rows<T>(IEnumerable<T> rows, Action<Utf8JsonWriter, T> writeRow)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var row in rows)
            {
                writer.WriteStartArray();
                writeRow(writer, row);
                writer.WriteEndArray();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static string Keys(IEnumerable<ItemKey> keys) =>
        Rows(keys, (w, k) =>
        {
            w.WriteStringValue(k.MemberId);
            w.WriteStringValue(k.TitleId);
        });

    public static string Strings(IEnumerable<string> values)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var value in values)
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
