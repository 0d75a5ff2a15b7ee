using Microsoft.AspNetCore.Diagnostics;
using ViewingHistory.Queue;
using ViewingHistory.Server.Endpoints;
using ViewingHistory.Store;

namespace ViewingHistory.Server.Hosting;

/// <summary>
/// Exceptions that escape an endpoint become problem+json: a store or queue that cannot be reached is a 503 with
/// Retry-After (transient), a request Kestrel refused keeps its status (e.g. 413), anything else a 500.
/// </summary>
internal sealed partial class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var result = exception switch
        {
            StoreUnavailableException => Problems.Unavailable(StatusCodes.Status503ServiceUnavailable, "Service unavailable", "The store cannot be reached; retry later.", 1),
            QueueUnavailableException => Problems.Unavailable(StatusCodes.Status503ServiceUnavailable, "Service unavailable", "The queue cannot be reached; retry later.", 1),
            BadHttpRequestException bad => Problems.Status(bad.StatusCode, "Bad request", bad.Message),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested => null,
            _ => null,
        };

        if (result is null)
        {
            if (!httpContext.RequestAborted.IsCancellationRequested)
            {
                LogUnhandled(exception, httpContext.Request.Path);
            }

            return false;
        }

        await result.ExecuteAsync(httpContext);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error on {Path}")]
    private partial void LogUnhandled(Exception exception, string path);
}
