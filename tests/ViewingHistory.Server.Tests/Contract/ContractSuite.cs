using System.Text.Json.Nodes;
using ViewingHistory.Server.Tests.Infrastructure;

namespace ViewingHistory.Server.Tests.Contract;

/// <summary>
/// CONTRACT.md as a test suite, run unchanged against every mode and engine pair: each concrete subclass names a
/// fixture. Every test works on its own member ids, so tests share one server and may run in any order.
/// </summary>
public abstract partial class ContractSuite<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ServiceFixture
{
    protected ContractClient Api { get; } = new(fixture.Client, fixture.EventuallyConsistent);

    protected TFixture Fixture => fixture;

    protected static string Member() => Ev.NewId("m");

    protected static string Title() => Ev.NewId("t");

    protected static JsonObject Item(List<JsonObject> items, string title) => items.Single(i => (string?)i["titleId"] == title);
}
