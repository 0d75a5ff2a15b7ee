using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace ViewingHistory.Server.OpenApi;

/// <summary>
/// Makes the schemas say what the wire says. The web serializer defaults read numbers from strings, so the generator
/// describes every number as "integer or string with a digit pattern"; the contract wants JSON numbers without
/// fraction or exponent, and the service writes numbers. <see cref="AllowedValuesAttribute"/> becomes an enum.
/// </summary>
internal sealed class ApiSchemaTransformer : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (schema.Type is { } type && type.HasFlag(JsonSchemaType.String) && (type.HasFlag(JsonSchemaType.Integer) || type.HasFlag(JsonSchemaType.Number)))
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }

        if (context.JsonPropertyInfo?.AttributeProvider?.GetCustomAttributes(typeof(AllowedValuesAttribute), inherit: false) is [AllowedValuesAttribute allowed, ..])
        {
            schema.Enum = [.. allowed.Values.Select(v => (JsonNode)JsonValue.Create(v?.ToString())!)];
        }

        return Task.CompletedTask;
    }
}
