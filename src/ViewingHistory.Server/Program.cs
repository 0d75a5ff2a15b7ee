using ViewingHistory.Core.Diagnostics;
using ViewingHistory.Server.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddViewingHistory();

var app = builder.Build();
app.MapViewingHistory();
try
{
    app.Run();
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
