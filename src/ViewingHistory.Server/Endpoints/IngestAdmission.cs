using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using ViewingHistory.Pipeline;
using ViewingHistory.Pipeline.Observability;
using ViewingHistory.Server.Auth;
using ViewingHistory.Server.Configuration;

namespace ViewingHistory.Server.Endpoints;

/// <summary>
/// Overload protection of ingest: a token bucket per ingest key (429 + Retry-After, the framework sets no
/// Retry-After by itself) and a bound on requests in flight in the process (503 + Retry-After), so a burst beyond
/// capacity is refused quickly instead of queuing without end.
/// </summary>
internal static class IngestAdmission
{
    public const string RatePolicy = "ingest-rate";

    public static IServiceCollection AddIngestAdmission(this IServiceCollection services)
    {
        services.AddSingleton<InFlightLimiter>();
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(RatePolicy, http =>
            {
                var options = http.RequestServices.GetRequiredService<OptionsInForce<IngestOptions>>().Current;
                var key = http.User.FindFirst(CredentialAuthenticationHandler.KeyClaim)?.Value ?? "anonymous";
                if (options.RateLimitPerSecond == 0)
                {
                    return RateLimitPartition.GetNoLimiter(key);
                }

                // Refill ten times a second when the rate divides evenly (smooth), else once a second (exact).
                var rate = options.RateLimitPerSecond;
                var smooth = rate % 10 == 0;
                return RateLimitPartition.GetTokenBucketLimiter($"{key}:{rate}:{options.RateLimitBurst}", _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.RateLimitBurst > 0 ? options.RateLimitBurst : rate,
                    TokensPerPeriod = smooth ? rate / 10 : rate,
                    ReplenishmentPeriod = smooth ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                context.HttpContext.RequestServices.GetRequiredService<VhMetrics>().Rejected("rate_limited");
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                await Problems.Unavailable(StatusCodes.Status429TooManyRequests, "Too many requests", "This key is over its rate; resend the batch after Retry-After seconds.", retryAfter)
                    .ExecuteAsync(context.HttpContext);
            };
        });
        return services;
    }

    /// <summary>Admits a request unless <see cref="IngestOptions.MaxConcurrentRequests"/> are already in flight.</summary>
    internal sealed class InFlightLimiter(OptionsInForce<IngestOptions> options)
    {
        private int _inFlight;

        public bool TryEnter()
        {
            if (Interlocked.Increment(ref _inFlight) <= options.Current.MaxConcurrentRequests)
            {
                return true;
            }

            Interlocked.Decrement(ref _inFlight);
            return false;
        }

        public void Exit() => Interlocked.Decrement(ref _inFlight);
    }

    /// <summary>The endpoint filter that applies <see cref="InFlightLimiter"/>.</summary>
    public static RouteHandlerBuilder WithInFlightLimit(this RouteHandlerBuilder endpoint) => endpoint.AddEndpointFilter(async (context, next) =>
    {
        var services = context.HttpContext.RequestServices;
        var limiter = services.GetRequiredService<InFlightLimiter>();
        if (!limiter.TryEnter())
        {
            services.GetRequiredService<VhMetrics>().Rejected("overloaded");
            return Problems.Unavailable(StatusCodes.Status503ServiceUnavailable, "Overloaded", "Too many ingest requests in flight; resend the batch after Retry-After seconds.", 1);
        }

        try
        {
            return await next(context);
        }
        finally
        {
            limiter.Exit();
        }
    });
}
