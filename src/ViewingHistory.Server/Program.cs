using ViewingHistory.Server.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddViewingHistory();

var app = builder.Build();
app.MapViewingHistory();
app.Run();

/// <summary>The entry point; public so that tests can host it with WebApplicationFactory.</summary>
public partial class Program;
