using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace QaMonolith.Api;

/// <summary>
/// The handlers take ids, limits and the user header as strings so that a bad one gets its own sentence; the
/// document still tells clients what is accepted: positive int64 ids, a limit of 1..100, a UUID in X-User-Id.
/// </summary>
internal static class OpenApiInputs
{
    public static Task DescribeAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var path = context.Description.RelativePath ?? "";
        if (!path.StartsWith("api/", StringComparison.Ordinal))
        {
            return Task.CompletedTask;
        }

        foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
        {
            if (parameter.In == ParameterLocation.Path && parameter.Name!.EndsWith("Id", StringComparison.Ordinal))
            {
                parameter.Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Minimum = "1" };
            }
            else if (parameter is { In: ParameterLocation.Query, Name: "limit" })
            {
                parameter.Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Integer, Format = "int32", Minimum = "1", Maximum = Input.MaxLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Default = JsonValue.Create(Input.DefaultLimit),
                };
                parameter.Description = "Items per page.";
            }
            else if (parameter is { In: ParameterLocation.Query, Name: "cursor" })
            {
                parameter.Description = "The nextCursor of the previous page; opaque.";
            }
        }

        var write = !HttpMethods.IsGet(context.Description.HttpMethod ?? "");
        var courseRead = path.StartsWith("api/courses", StringComparison.Ordinal) && !write && !path.EndsWith("/questions", StringComparison.Ordinal);
        if (courseRead)
        {
            // Courses carry no per-user state; the header would mean nothing there.
            return Task.CompletedTask;
        }

        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = Input.UserHeader,
            In = ParameterLocation.Header,
            Required = write,
            Description = write
                ? "Your anonymous user id, a UUID kept by the browser."
                : "Optional: your anonymous user id, to fill upvotedByMe.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" },
        });
        return Task.CompletedTask;
    }
}
