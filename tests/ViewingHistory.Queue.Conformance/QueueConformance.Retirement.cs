namespace ViewingHistory.Queue.Conformance;

// Consumer retirement: the place for the case that comes with the retirement operation on the queue seam (issue 13:
// "a consumer-retirement operation on the seam, a no-op where the engine needs none"), which is being added on its
// own branch. The case to write here once the seam has it: "A retired consumer no longer holds reclaiming back" (the
// embedded log truncates past its position once the other consumers acknowledged; JetStream deletes the durable or
// does nothing, and the other consumers see no change), plus "Retiring a consumer that does not exist is harmless".
// Until then the embedded engine's own RemoveConsumer is covered in Queue.Tests (TruncationTests).
public abstract partial class QueueConformance
{
}
