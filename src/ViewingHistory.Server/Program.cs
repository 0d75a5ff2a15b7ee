using System.Reflection;
using ViewingHistory.Core.Diagnostics;
using Microsoft.Extensions.Options;
using ViewingHistory.Server.Hosting;

WebApplication app;
StartWarmUp.Outcome? warmUp;
try
{
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = ContentRoot.Default(args) });
    builder.AddViewingHistory();
    // Before the real host exists: the JIT compiles the service's hot paths on a scratch copy of it (Hosting/StartWarmUp.cs).
    warmUp = await StartWarmUp.RunAsync(builder);
    app = builder.Build();

    // The options validated at start (ValidateOnStart), here rather than inside the host's start, which would log
    // the failure with its stack trace and exit 1: a setting out of range is the operator's to fix, and says so.
    app.Services.GetService<IStartupValidator>()?.Validate();
    app.MapViewingHistory();
}
catch (Exception ex) when (ex is InvalidOperationException or OptionsValidationException or ArgumentException or FormatException
    && Assembly.GetEntryAssembly() == typeof(Program).Assembly)
{
    // A configuration the service cannot run: the reason, not a stack trace (and never a secret it may quote). Where
    // another program hosts this one (WebApplicationFactory in the tests), the failure goes to it as it is.
    Console.Error.WriteLine("The service did not start: " + Redaction.Secrets(StartFailure.Describe(ex)));
    return 2;
}

try
{
    if (!StartWarmUp.Finish(app, warmUp))
    {
        return 0; // a SIGTERM or SIGINT while it warmed up: stopped before it served anything
    }

    await app.RunAsync();
}
catch (Exception ex) when (ex is not OperationCanceledException)
{
    // A failed start is logged (redacted) by the host; left to the runtime, the exception would be printed again as it
    // is, with the inner engine exceptions that quote a NATS URL and its password.
    Console.Error.WriteLine("The service stopped: " + Redaction.Secrets(ex.ToString()));
    return 1;
}

return 0;

/// <summary>The entry point; public so that tests can host it with WebApplicationFactory.</summary>
internal partial class Program;
