using NATS.Client.Core;
using NATS.Client.JetStream;

namespace ViewingHistory.Queue.JetStream;

/// <summary>Sorts NATS failures into those worth retrying within a call and those that are not (DESIGN.md principle 5).</summary>
internal static class JetStreamFailures
{
    /// <summary>The server's "store failed" code: with DiscardNew it means a stream limit was reached.</summary>
    public const int StoreFailed = 10077;

    /// <summary>"no message found".</summary>
    public const int NoMessageFound = 10037;

    /// <summary>"stream name already in use with a different configuration": a concurrent creator won the race.</summary>
    public const int StreamNameInUse = 10058;

    /// <summary>
    /// "subjects overlap with an existing stream": also what a creator that lost the race to create the same stream is
    /// told (its create is checked against the winner's subjects). The next create-or-update finds the stream; a real
    /// overlap with another stream still fails once the retry's budget is spent, with this message.
    /// </summary>
    public const int SubjectsOverlap = 10065;

    /// <summary>"stream not found".</summary>
    public const int StreamNotFound = 10059;

    /// <summary>
    /// True for failures a short wait can cure: nobody answering (a stream without a leader during failover,
    /// a connection being re-established), timeouts, and the server's 503s other than a full stream.
    /// </summary>
    public static bool IsTransient(Exception ex) => ex switch
    {
        NatsJSApiException api => api.Error.ErrCode != StoreFailed && (api.Error.Code is 503 or 408 or 504 || api.Error.ErrCode is StreamNameInUse or SubjectsOverlap),
        NatsNoRespondersException or NatsNoReplyException or NatsTimeoutException or NatsJSPublishNoResponseException
            or NatsJSApiNoResponseException or NatsJSTimeoutException or NatsJSConnectionException or NatsConnectionFailedException => true,
        TimeoutException => true,
        _ => false,
    };

    /// <summary>True when the stream refused the message because a limit was reached (DiscardNew).</summary>
    public static bool IsStreamFull(Exception ex) => ex is NatsJSApiException { Error.ErrCode: StoreFailed };

    public static bool IsNotFound(Exception ex) =>
        ex is NatsJSApiException { Error.ErrCode: NoMessageFound } or NatsJSApiException { Error.Code: 404 };
}
