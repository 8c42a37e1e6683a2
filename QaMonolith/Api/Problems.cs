using Microsoft.AspNetCore.Http.HttpResults;

namespace QaMonolith.Api;

/// <summary>Every error a client can cause, as an RFC 7807 document with words a person can act on.</summary>
internal static class Problems
{
    public static ProblemHttpResult BadRequest(string title, string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: title);

    public static ProblemHttpResult NotFound(string what, long id) =>
        TypedResults.Problem($"There is no {what} with id {id}.", statusCode: StatusCodes.Status404NotFound, title: $"{char.ToUpperInvariant(what[0])}{what[1..]} not found");

    public static ProblemHttpResult TooManyRequests(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests");

    public static ProblemHttpResult Status(int status, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title);
}
