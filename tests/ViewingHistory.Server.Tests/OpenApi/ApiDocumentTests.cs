using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ViewingHistory.Server.OpenApi;
using ViewingHistory.Server.Tests.Infrastructure;

namespace ViewingHistory.Server.Tests.OpenApi;

/// <summary>
/// <c>/openapi/v1.json</c> against what the server really maps and answers. Generic on purpose: an endpoint added later
/// (any branch) is enumerated from the routing table, must declare its answers (<see cref="ApiAnswers"/>), and is probed
/// with every credential kind and bad input; any status it answers that the document does not list fails.
/// </summary>
public sealed class ApiDocumentTests(AsyncEmbeddedSqliteFixture fixture) : IClassFixture<AsyncEmbeddedSqliteFixture>
{
    [Fact]
    public async Task Every_mapped_route_is_in_the_document_with_every_status_it_declares_and_problem_json_for_errors()
    {
        var document = await DocumentAsync();
        var schemes = document["components"]!["securitySchemes"]!.AsObject().Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        var failures = new List<string>();
        var operations = Operations().ToList();
        Assert.True(operations.Count >= 18, $"only {operations.Count} operations mapped");
        foreach (var (endpoint, path, method) in operations)
        {
            var name = $"{method} {path}";
            if (endpoint.Metadata.GetMetadata<ApiAnswersMetadata>() is not { } answers)
            {
                failures.Add($"{name} is mapped without .Answers(...) (see OpenApi/ApiAnswers.cs)");
                continue;
            }

            if (document["paths"]?[path]?[method.ToLowerInvariant()] is not JsonObject operation)
            {
                failures.Add($"{name} is not in the document");
                continue;
            }

            var responses = operation["responses"]!.AsObject();
            var expected = new[] { answers.Success }
                .Concat(answers.Problems)
                .Concat(endpoint.Metadata.GetMetadata<ApiImpliedAnswersMetadata>()!.Statuses)
                .Concat(endpoint.Metadata.OfType<ApiAlsoAnswersMetadata>().Select(a => a.Status));
            failures.AddRange(expected.Where(s => !responses.ContainsKey(S(s))).Select(s => $"{name} does not list {s}"));
            var notProblems = endpoint.Metadata.OfType<ApiAlsoAnswersMetadata>().Select(a => S(a.Status)).ToHashSet();
            foreach (var (status, response) in responses)
            {
                if (int.Parse(status, System.Globalization.CultureInfo.InvariantCulture) >= 400 && !notProblems.Contains(status) &&
                    response?["content"]?.AsObject().Select(c => c.Key).SequenceEqual(["application/problem+json"]) != true)
                {
                    failures.Add($"{name} answers {status} with something else than application/problem+json");
                }
            }

            if (endpoint.Metadata.OfType<IAuthorizeData>().Any())
            {
                var security = operation["security"]?.AsArray().SelectMany(r => r!.AsObject().Select(p => p.Key)).ToList() ?? [];
                if (security.Count == 0 || !security.All(schemes.Contains))
                {
                    failures.Add($"{name} requires a credential but lists the security schemes [{string.Join(", ", security)}]");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Theory]
    [InlineData("POST", "/v1/playback/events", "202 400 401 403 413 415 429 503", "ingestKey")]
    [InlineData("GET", "/v1/members/{memberId}/history", "200 400 401 403 503", "serviceKey memberToken")]
    [InlineData("GET", "/v1/members/{memberId}/history/{titleId}", "200 400 401 403 404 503", "serviceKey memberToken")]
    [InlineData("DELETE", "/v1/members/{memberId}/history/{titleId}", "204 400 401 403 503", "serviceKey memberToken")]
    [InlineData("DELETE", "/v1/members/{memberId}/history", "204 400 401 403 503", "serviceKey memberToken")]
    [InlineData("GET", "/v1/changes", "200 400 401 403 503", "serviceKey")]
    [InlineData("GET", "/v1/admin/status", "200 401 403", "serviceKey")]
    [InlineData("GET", "/v1/admin/dead-letters", "200 400 401 403", "serviceKey")]
    [InlineData("GET", "/health/live", "200", "")]
    [InlineData("GET", "/health/ready", "200 400 404 503", "")]
    [InlineData("GET", "/metrics", "200", "")]
    public async Task The_contract_endpoints_carry_the_contracts_answers_and_credentials(string method, string path, string statuses, string credentials)
    {
        var operation = (await DocumentAsync())["paths"]?[path]?[method.ToLowerInvariant()];

        Assert.NotNull(operation);
        var responses = operation["responses"]!.AsObject().Select(r => r.Key).ToHashSet();
        Assert.All(statuses.Split(' '), s => Assert.Contains(s, responses));
        var security = operation["security"]?.AsArray().SelectMany(r => r!.AsObject().Select(p => p.Key)).Order(StringComparer.Ordinal).ToList() ?? [];
        Assert.Equal(credentials.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal), security);
    }

    [Fact]
    public async Task Every_status_a_probe_provokes_is_in_the_document()
    {
        var document = await DocumentAsync();
        var failures = new List<string>();
        var probes = 0;
        foreach (var (endpoint, path, method) in Operations())
        {
            var documented = document["paths"]?[path]?[method.ToLowerInvariant()]?["responses"]?.AsObject().Select(r => r.Key).ToHashSet() ?? [];
            var notProblems = endpoint.Metadata.OfType<ApiAlsoAnswersMetadata>().Select(a => a.Status).ToHashSet();
            foreach (var (target, credential, body) in Probes(endpoint, path, method))
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), target);
                if (credential is not null)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
                }

                if (body is not null)
                {
                    request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                }

                using var response = await fixture.Client.SendAsync(request);
                probes++;
                var status = (int)response.StatusCode;
                var who = credential is null ? "no credential" : credential == TestCredentials.IngestKey ? "an ingest key" : credential == TestCredentials.ServiceKey ? "a service key" : "a member token";
                if (!documented.Contains(S(status)))
                {
                    failures.Add($"{method} {target} with {who} and {(body is null ? "no body" : "body " + body)} answered {status}, which the document does not list for {method} {path}");
                }
                else if (status >= 400 && !notProblems.Contains(status) && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                {
                    failures.Add($"{method} {target} answered {status} as {response.Content.Headers.ContentType}");
                }
            }
        }

        Assert.True(probes > 100, $"only {probes} probes sent");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    /// <summary>Each credential kind on valid route values; then, with each credential, invalid ids and query values.</summary>
    private static IEnumerable<(string Target, string? Credential, string? Body)> Probes(RouteEndpoint endpoint, string path, string method)
    {
        string?[] credentials = [null, TestCredentials.IngestKey, TestCredentials.ServiceKey, TestCredentials.MemberToken("m1"), "not-a-credential"];
        string?[] bodies = HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) ? [null, "[]", "{}", "not json"] : [null];
        var valid = Fill(path, endpoint, "m1");
        var targets = new List<string> { valid };
        if (endpoint.RoutePattern.Parameters.Count > 0)
        {
            targets.Add(Fill(path, endpoint, "bad%20id"));
            targets.Add(Fill(path, endpoint, new string('a', 65)));
        }

        foreach (var query in endpoint.Metadata.OfType<ApiQueryMetadata>())
        {
            targets.AddRange(new[] { "0", "-1", "zz", "999999999999" }.Select(v => $"{valid}?{query.Name}={v}"));
            targets.Add($"{valid}?{query.Name}=1&{query.Name}=2");
        }

        foreach (var target in targets)
        {
            foreach (var credential in credentials)
            {
                foreach (var body in bodies)
                {
                    yield return (target, credential, body);
                }
            }
        }
    }

    /// <summary>The path with every route parameter set: memberId to <paramref name="member"/>, the others to an id of the same shape.</summary>
    private static string Fill(string path, RouteEndpoint endpoint, string member)
    {
        foreach (var parameter in endpoint.RoutePattern.Parameters)
        {
            path = path.Replace("{" + parameter.Name + "}", parameter.Name == "memberId" || member != "m1" ? member : "x1", StringComparison.Ordinal);
        }

        return path;
    }

    [Fact]
    public async Task The_served_document_passes_the_OpenAPI_linter()
    {
        var linter = OpenApiLinter.Find();
        using var dir = new ViewingHistory.Testing.TempDirectory("vh-openapi");
        var file = Path.Combine(dir.Path, "v1.json");
        await File.WriteAllTextAsync(file, await fixture.Client.GetStringAsync("/openapi/v1.json"));

        var (exitCode, output) = await OpenApiLinter.RunAsync(linter, file);

        Assert.True(exitCode == 0, $"{linter} lint {file} exited {exitCode}:{Environment.NewLine}{output}");
        Assert.Contains("valid", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_document_is_OpenAPI_3_1_with_the_three_credential_kinds_as_bearer_schemes()
    {
        var document = await DocumentAsync();

        Assert.StartsWith("3.1", (string?)document["openapi"], StringComparison.Ordinal);
        var schemes = document["components"]!["securitySchemes"]!.AsObject();
        Assert.Equal(["ingestKey", "memberToken", "serviceKey"], schemes.Select(s => s.Key).Order(StringComparer.Ordinal));
        Assert.All(schemes, s => Assert.Equal("bearer", (string?)s.Value!["scheme"]));
        Assert.Equal("JWT", (string?)schemes["memberToken"]!["bearerFormat"]);
        var problem = document["components"]!["schemas"]!["ApiProblem"]!["properties"]!.AsObject();
        Assert.All(["title", "status", "detail", "errors"], p => Assert.True(problem.ContainsKey(p), p));
    }

    private async Task<JsonNode> DocumentAsync() => JsonNode.Parse(await fixture.Client.GetStringAsync("/openapi/v1.json"))!;

    /// <summary>Every operation the server maps, but the document's own route.</summary>
    private IEnumerable<(RouteEndpoint Endpoint, string Path, string Method)> Operations()
    {
        foreach (var endpoint in fixture.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            // A group's "" route combines to a trailing slash ("/v1/admin/dead-letters/"); the document, like routing, has none.
            var path = "/" + endpoint.RoutePattern.RawText!.Trim('/');
            if (path == ApiDocumentation.Route)
            {
                continue;
            }

            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [HttpMethods.Get])
            {
                yield return (endpoint, path, method);
            }
        }
    }

    private static string S(int status) => status.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
