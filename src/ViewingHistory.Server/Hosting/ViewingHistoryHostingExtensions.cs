using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using ViewingHistory.Core.Validation;
using ViewingHistory.Pipeline;
using ViewingHistory.Pipeline.Archive;
using ViewingHistory.Pipeline.Ingest;
using ViewingHistory.Pipeline.Observability;
using ViewingHistory.Pipeline.Processing;
using ViewingHistory.Pipeline.Shadow;
using ViewingHistory.Queue;
using ViewingHistory.Server.Auth;
using ViewingHistory.Server.Configuration;
using ViewingHistory.Server.Endpoints;
using ViewingHistory.Server.Feeds;
using ViewingHistory.Server.Health;
using ViewingHistory.Server.Json;
using ViewingHistory.Server.Logging;
using ViewingHistory.Server.OpenApi;

namespace ViewingHistory.Server.Hosting;

/// <summary>The wiring of the service: one binary, three roles (DESIGN.md principle 8).</summary>
internal static class ViewingHistoryHostingExtensions
{
    public static WebApplicationBuilder AddViewingHistory(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        GuardWatchedFiles(builder.Configuration);
        if (configuration["ConfigFile"] is { Length: > 0 } configFile)
        {
            // An operator's file on top of everything else, watched: a valid change to the Pipeline or Ingest settings
            // there takes effect on the next request; an invalid one is refused as a whole (ConfigurationGuard).
            // Watched by events and by polling (WatchedFileProvider): a Kubernetes ConfigMap volume's update is a symlink
            // swap that no file-system event names.
            var path = Path.GetFullPath(configFile);
            var source = new GuardedJsonConfigurationSource
            {
                FileProvider = new WatchedFileProvider(Path.GetDirectoryName(path)!),
                Path = Path.GetFileName(path),
                Optional = false,
                ReloadOnChange = true,
            };
            ((IConfigurationBuilder)builder.Configuration).Add(source);
        }

        // The start validates what a reload validates, and fails on what a reload would refuse.
        var initial = ReloadableConfiguration.Check(configuration, running: null);
        if (!initial.Valid)
        {
            throw new InvalidOperationException("Invalid configuration: " + string.Join("; ", initial.Errors.Select(e => $"{e.Setting}: {e.Reason}")));
        }

        var service = ServiceOptions.Read(configuration);
        var roles = service.Roles;
        var kinds = EngineKinds.Read(configuration);
        var storeOptions = configuration.GetSection("Store").Get<StoreOptions>() ?? new StoreOptions();
        var pipelineMode = initial.Pipeline!.Mode;
        if (kinds.Queue == QueueKind.Embedded && roles != ServiceRoles.All)
        {
            throw new InvalidOperationException(
                $"Roles={configuration["Roles"]} needs a shared queue: the embedded queue lives inside one process, so it runs all three roles. " +
                "Set Queue:Kind=jetstream (and Queue:Url) to run roles in separate processes.");
        }

        try
        {
            Directory.CreateDirectory(service.DataDir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // An operator's mistake (a file's path, a directory it may not create): the setting named, not a crash.
            throw new InvalidOperationException($"DataDir: '{service.DataDir}' cannot be used as the data directory: {ex.Message}", ex);
        }

        services.AddSingleton(service);
        services.AddSingleton(storeOptions);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new OptionsInForce<PipelineOptions>(initial.Pipeline));
        services.AddSingleton(new OptionsInForce<IngestOptions>(initial.Ingest!));
        services.AddSingleton<ConfigurationGuard>();
        services.AddHostedService(sp => sp.GetRequiredService<ConfigurationGuard>());
        services.AddOptions<ProcessorOptions>().BindConfiguration(ProcessorOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IOptionsFactory<ProcessorOptions>>(sp => new ProcessorOptionsFactory(
            kinds.Store,
            sp.GetServices<IConfigureOptions<ProcessorOptions>>(),
            sp.GetServices<IPostConfigureOptions<ProcessorOptions>>(),
            sp.GetServices<IValidateOptions<ProcessorOptions>>()));
        services.AddSingleton<VhMetrics>();
        services.AddSingleton<ConsumptionControl>();

        var auth = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        services.AddSingleton(sp => CredentialBootstrap.Resolve(auth, service.DataDir, sp.GetRequiredService<ILoggerFactory>().CreateLogger("ViewingHistory.Auth")));

        builder.AddEngines(kinds, service, shadow: pipelineMode == PipelineMode.Shadow);
        services.AddSingleton<IngestPipeline>();
        services.AddSingleton<HistoryCommands>();
        services.AddSingleton<ShadowComparer>();

        services.AddHostedService<EngineInitializer>();
        if (roles.HasFlag(ServiceRoles.Processor))
        {
            // After the initializer, before anything opens a consumer: hosted services start in registration order.
            var archive = configuration.GetSection(ArchiveOptions.Section).Get<ArchiveOptions>() ?? new ArchiveOptions();
            var running = new HashSet<string>(StringComparer.Ordinal) { ProcessorHost.PrimaryConsumer };
            if (pipelineMode == PipelineMode.Shadow)
            {
                running.Add(ProcessorHost.ShadowConsumer);
            }

            if (archive.Enabled)
            {
                running.Add(ArchiveHost.ConsumerName);
            }

            services.AddHostedService(sp => new ConsumerRetirement(sp.GetRequiredService<IEventQueue>(), running, sp.GetRequiredService<ILogger<ConsumerRetirement>>()));
        }

        if (pipelineMode == PipelineMode.Shadow && roles.HasFlag(ServiceRoles.Api))
        {
            // After the initializer: hosted services start in registration order.
            services.AddHostedService<ShadowSampler>();
        }
        if (roles.HasFlag(ServiceRoles.Processor))
        {
            services.AddHostedService<ProcessorHost>();
        }

        services.AddDownstreamFeeds(configuration, service);

        // The credential scheme alone. AddAuthentication would add ASP.NET Core Data Protection too, which nothing here
        // uses (no cookie, no protected payload: credentials are keys and signed tokens) and whose key ring, started
        // with the host, warns on every start where the user's home is not writable (a container's read-only root)
        // that "protected data will be unavailable when application exits".
        services.AddAuthenticationCore(o => o.DefaultScheme = CredentialAuthenticationHandler.SchemeName);
        services.AddWebEncoders();
        new AuthenticationBuilder(services)
            .AddScheme<AuthenticationSchemeOptions, CredentialAuthenticationHandler>(CredentialAuthenticationHandler.SchemeName, null);
        services.AddAuthorization(Policies.Add);
        services.AddSingleton<IAuthorizationHandler, MemberAccessHandler>();
        services.AddIngestAdmission();
        services.AddProblemDetails();
        services.AddApiDocument();

        // Every logger, whoever adds its provider, masks secrets (a NATS URL's password, Password= of a connection
        // string): engine exceptions quote the settings they were given.
        services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(sp => new RedactingLoggerFactory(ActivatorUtilities.CreateInstance<LoggerFactory>(sp))));
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default));

        services.AddSingleton<ServiceLifecycle>();
        services.AddSingleton<ReadinessProbe>();
        services.AddSingleton<ReadinessMetrics>();
        if (service.DrainDelay > TimeSpan.Zero)
        {
            services.AddHostedService<ShutdownDrain>();
        }

        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(VhMetrics.MeterName)
            .AddPrometheusExporter());
        builder.AddTracing();

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Deliberate limits: bodies are capped just above the contract's 1 MiB (the endpoint answers 413 itself),
            // headers are small, and slow clients are cut off.
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = EventRules.MaxBodyBytes + (64 * 1024);
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            kestrel.Limits.MaxRequestHeaderCount = 64;
            kestrel.Limits.MaxRequestLineSize = 8 * 1024;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(120);
            kestrel.Limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(5));
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        return builder;
    }

    /// <summary>
    /// The host's own watched JSON files (appsettings.json and its environment variant) are guarded like the operator's
    /// file: a version that is not valid JSON is refused instead of silently dropping every setting it holds.
    /// </summary>
    private static void GuardWatchedFiles(ConfigurationManager configuration)
    {
        var sources = configuration.Sources;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is Microsoft.Extensions.Configuration.Json.JsonConfigurationSource { ReloadOnChange: true } json and not GuardedJsonConfigurationSource)
            {
                sources[i] = GuardedJsonConfigurationSource.From(json);
            }
        }
    }

    public static WebApplication MapViewingHistory(this WebApplication app)
    {
        var roles = app.Services.GetRequiredService<ServiceOptions>().Roles;

        // The readiness gauge exists from the first scrape on, whether or not anything has asked /health/ready yet.
        _ = app.Services.GetRequiredService<ReadinessMetrics>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        if (roles.HasFlag(ServiceRoles.Ingest))
        {
            // Before the generic authentication, authorization and rate limiting: the common ingest request skips them.
            app.UseMiddleware<IngestFastPath>();
        }

        // Before the pages, authentication and the endpoints: a /v1 path with a dot segment or a trailing '/' is a 400.
        app.UseExactPaths();

        if (roles.HasFlag(ServiceRoles.Api))
        {
            app.UseWebPages();
        }

        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        // Every endpoint is mapped under `routes` and documents itself in /openapi/v1.json with one call after
        // WithName/WithSummary: `.Answers<TBody>(StatusCodes.Status200OK, 400, 404, 503)` (the success status and its
        // body, then each problem+json status its handler answers; `.Answers(204, ...)` without a body), plus
        // `.WithQuery(name, type, description)` for each query parameter read by hand. 401/403 (RequireAuthorization,
        // with the credential kinds of its policy), 429 (RequireRateLimiting) and 500 are added here for all of them
        // (OpenApi/ApiAnswers.cs). ApiDocumentTests fails for an endpoint mapped without Answers.
        var routes = app.MapGroup(string.Empty).AddImpliedAnswers();
        var v1 = routes.MapGroup("/v1");
        if (roles.HasFlag(ServiceRoles.Ingest))
        {
            v1.MapIngest();
        }

        if (roles.HasFlag(ServiceRoles.Api))
        {
            v1.MapHistory();
            v1.MapMemberRights();
            v1.MapChangeFeed();
            v1.MapShadow();
            v1.MapAdmin();
            v1.MapDeadLetters();
        }

        routes.MapOperations();
        if (roles.HasFlag(ServiceRoles.Api))
        {
            app.MapApiDocument();
        }

        return app;
    }
}
