using ViewingHistory.Core.Serialization;

namespace ViewingHistory.Queue.Tests;

public sealed class QueueEntryTests
{
    [Fact]
    public void An_undecoded_entry_decodes_its_bytes_when_first_read_and_keeps_them_as_appended()
    {
        var batch = TestBatches.Make("lazy", 3);
        var bytes = EventBatchCodec.Encode(batch);

        var entry = QueueEntry.Undecoded("42", bytes, 2);

        Assert.Equal(3, entry.EventCount);
        Assert.Equal(batch.Events, entry.Batch!.Events);
        Assert.Same(entry.Batch, entry.Batch);
        Assert.Null(entry.DecodeError);
        Assert.Equal(bytes, entry.Payload.ToArray());
        Assert.Equal(("42", 2), (entry.Id, entry.DeliveryCount));
    }

    [Fact]
    public void An_undecoded_entry_whose_bytes_are_no_batch_is_poison_with_the_decoders_reason()
    {
        var truncated = EventBatchCodec.Encode(TestBatches.Make("cut", 2))[..20];

        var entry = QueueEntry.Undecoded("7", truncated, 1);

        Assert.Null(entry.Batch);
        Assert.Equal("Truncated event batch.", entry.DecodeError);
        Assert.Equal(truncated, entry.Payload.ToArray());
        Assert.Equal(0, QueueEntry.Undecoded("8", new byte[] { 0xDE, 0xAD }, 1).EventCount);
    }

    [Fact]
    public void A_delivery_weighs_its_entries_by_their_headers_as_the_queues_lag_does()
    {
        var good = QueueEntry.Undecoded("1", EventBatchCodec.Encode(TestBatches.Make("a", 4)), 1);
        var decoded = new QueueEntry("2", TestBatches.Make("b", 2), EventBatchCodec.Encode(TestBatches.Make("b", 2)), 1, null);
        var garbage = QueueEntry.Undecoded("3", new byte[] { 1, 2, 3 }, 1);

        Assert.Equal(6, new QueueDelivery([good, decoded, garbage]).EventCount);
    }
}
