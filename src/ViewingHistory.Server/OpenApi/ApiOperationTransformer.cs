using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace ViewingHistory.Server.OpenApi;

/// <summary>
/// Completes each operation from its endpoint's metadata: the credential kinds its authorization policy accepts (as
/// security requirements, any one of which suffices), the query parameters its handler reads by hand, and the
/// <c>Retry-After</c> header of its 429 and 503 answers.
/// </summary>
internal sealed class ApiOperationTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        Complete(operation, context.Description.ActionDescriptor.EndpointMetadata, context.Document);
        return Task.CompletedTask;
    }

    /// <summary>Also used by <see cref="ApiDocumentTransformer"/> for endpoints the API explorer does not describe.</summary>
    internal static void Complete(OpenApiOperation operation, IList<object> metadata, OpenApiDocument? document)
    {
        var policies = metadata.OfType<IAuthorizeData>().Select(a => a.Policy).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (policies.Count > 0)
        {
            // Each requirement object is an alternative: one of the listed credentials is enough.
            operation.Security = [.. policies.SelectMany(CredentialSchemes.For).Distinct(StringComparer.Ordinal)
                .Select(scheme => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, document)] = [] })];
        }

        foreach (var query in metadata.OfType<ApiQueryMetadata>())
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = query.Name,
                In = ParameterLocation.Query,
                Required = false,
                Description = query.Description + " Given at most once.",
                Schema = new OpenApiSchema { Type = query.Type == "integer" ? JsonSchemaType.Integer : JsonSchemaType.String },
            });
        }

        if (operation.Responses is null)
        {
            return;
        }

        foreach (var (status, response) in operation.Responses)
        {
            if (status is "429" or "503" && response is OpenApiResponse concrete)
            {
                concrete.Headers ??= new Dictionary<string, IOpenApiHeader>();
                concrete.Headers["Retry-After"] = new OpenApiHeader
                {
                    Description = "Seconds to wait before resending.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1", Default = JsonValue.Create(1) },
                };
            }
        }
    }
}
