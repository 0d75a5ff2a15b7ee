using System.Globalization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;

namespace ViewingHistory.Server.OpenApi;

/// <summary>
/// The document as a whole: its description, the three credential kinds as security schemes, and the endpoints the
/// API explorer leaves out because no route handler backs them (the Prometheus scrape endpoint), built from the same
/// <see cref="ApiAnswers"/> metadata.
/// </summary>
internal sealed class ApiDocumentTransformer(EndpointDataSource endpoints) : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "ViewingHistory",
            Version = "v1",
            Description = "Playback events in, members' viewing history out (CONTRACT.md). Every error is application/problem+json (RFC 9457). " +
                "Every /v1 call carries `Authorization: Bearer <credential>`; a missing or unknown credential is 401, a valid one used outside its rights 403.",
        };
        // The service that serves the document, wherever that is (not the host name of the request that asked for it,
        // which may be a proxy's or a test's).
        document.Servers = [new OpenApiServer { Url = "/", Description = "The service serving this document." }];

        // The operations endpoints need no credential; every other operation states its own security. An empty
        // requirement at the root says "none" for those, explicitly.
        document.Security = [new OpenApiSecurityRequirement()];
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        foreach (var (name, format, description) in CredentialSchemes.All)
        {
            document.Components.SecuritySchemes[name] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = format,
                Description = description,
            };
        }

        foreach (var endpoint in endpoints.Endpoints.OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<ApiAnswersMetadata>() is not null && endpoint.Metadata.GetMetadata<System.Reflection.MethodInfo>() is null)
            {
                AddUndescribed(document, endpoint);
            }
        }

        return Task.CompletedTask;
    }

    private static void AddUndescribed(OpenApiDocument document, RouteEndpoint endpoint)
    {
        var path = "/" + endpoint.RoutePattern.RawText!.Trim('/');
        document.Paths ??= [];
        if (!document.Paths.TryGetValue(path, out var item))
        {
            item = new OpenApiPathItem();
            document.Paths[path] = item;
        }

        var operation = new OpenApiOperation
        {
            OperationId = endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName,
            Summary = endpoint.Metadata.GetMetadata<IEndpointSummaryMetadata>()?.Summary,
            Responses = [],
        };
        foreach (var produces in endpoint.Metadata.OfType<IProducesResponseTypeMetadata>())
        {
            var response = new OpenApiResponse { Description = ReasonPhrases.For(produces.StatusCode) };
            var contentTypes = produces.ContentTypes.ToList();
            if (contentTypes.Count > 0)
            {
                IOpenApiSchema schema = produces.Type == typeof(ApiProblem)
                    ? new OpenApiSchemaReference(nameof(ApiProblem), document)
                    : new OpenApiSchema { Type = JsonSchemaType.String };
                response.Content = contentTypes.ToDictionary(c => c, _ => new OpenApiMediaType { Schema = schema });
            }

            operation.Responses[produces.StatusCode.ToString(CultureInfo.InvariantCulture)] = response;
        }

        ApiOperationTransformer.Complete(operation, [.. endpoint.Metadata], document);
        var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [HttpMethods.Get];
        ((OpenApiPathItem)item).Operations ??= [];
        foreach (var method in methods)
        {
            ((OpenApiPathItem)item).Operations![new HttpMethod(method)] = operation;
        }
    }

    private static class ReasonPhrases
    {
        public static string For(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : status.ToString(CultureInfo.InvariantCulture);
    }
}
