using Microsoft.OpenApi;

namespace ViewingHistory.Server.OpenApi;

/// <summary>
/// The OpenAPI 3.1 document at <c>/openapi/v1.json</c> (Microsoft.AspNetCore.OpenApi), built from the endpoints' own
/// metadata (<see cref="ApiAnswers"/>), so it cannot drift from what is mapped; and the API reference page
/// (<c>/api/</c>, a page of <c>wwwroot</c> that renders this document in the browser under the pages' CSP).
/// </summary>
internal static class ApiDocumentation
{
    public const string DocumentName = "v1";
    public const string Route = "/openapi/{documentName}.json";

    public static IServiceCollection AddApiDocument(this IServiceCollection services)
    {
        services.AddOpenApi(DocumentName, options =>
        {
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            options.AddDocumentTransformer<ApiDocumentTransformer>();
            options.AddOperationTransformer<ApiOperationTransformer>();
            options.AddSchemaTransformer<ApiSchemaTransformer>();
        });
        return services;
    }

    /// <summary>Serves the document without authentication: it holds no secret, and clients are generated from it.</summary>
    public static IEndpointConventionBuilder MapApiDocument(this IEndpointRouteBuilder routes) =>
        routes.MapOpenApi(Route).AllowAnonymous();
}
