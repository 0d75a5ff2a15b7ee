using ViewingHistory.Queue.Embedded;
using Xunit;

namespace ViewingHistory.Queue.Tests;

public sealed class AckWatermarkTests
{
    [Fact]
    public void The_watermark_moves_only_when_every_earlier_delivery_is_acknowledged()
    {
        var watermark = new AckWatermark(new ConsumerCheckpoint(64, 10));
        var a = watermark.Track(100, 1);
        var b = watermark.Track(200, 2);
        var c = watermark.Track(300, 3);

        Assert.False(watermark.Ack(c));
        Assert.False(watermark.Ack(b));
        Assert.Equal(new ConsumerCheckpoint(64, 10), watermark.Position);

        Assert.True(watermark.Ack(a));
        Assert.Equal(new ConsumerCheckpoint(300, 16), watermark.Position);
        Assert.Equal(0, watermark.Outstanding);
    }

    [Fact]
    public void Acknowledging_in_order_moves_the_watermark_one_delivery_at_a_time()
    {
        var watermark = new AckWatermark(new ConsumerCheckpoint(64, 0));
        var a = watermark.Track(100, 5);
        var b = watermark.Track(200, 7);

        Assert.True(watermark.Ack(a));
        Assert.Equal(new ConsumerCheckpoint(100, 5), watermark.Position);
        Assert.Equal(1, watermark.Outstanding);
        Assert.True(watermark.Ack(b));
        Assert.Equal(new ConsumerCheckpoint(200, 12), watermark.Position);
    }
}
