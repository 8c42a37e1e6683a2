namespace QaMonolith.Shared.Http;

/// <summary>
/// The problems ASP.NET Core writes on its own (no such route, a method the route does not take, a Content-Type the
/// endpoint's Accepts metadata refuses before its handler runs) carry only a title; this gives each one a detail
/// that says what to do, as every other problem here has.
/// </summary>
internal static class FrameworkProblems
{
    public static void AddDetail(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (!string.IsNullOrEmpty(problem.Detail))
        {
            return;
        }

        var request = context.HttpContext.Request;
        problem.Detail = problem.Status switch
        {
            StatusCodes.Status404NotFound => $"There is nothing at {request.Path}; /openapi/v1.json lists the API's paths.",
            StatusCodes.Status405MethodNotAllowed => $"{request.Method} is not allowed on {request.Path}; /openapi/v1.json lists the methods each path takes.",
            StatusCodes.Status415UnsupportedMediaType => $"This endpoint does not take a body of type '{request.ContentType}'; send application/json, e.g. {{\"text\": \"...\"}}.",
            _ => "/openapi/v1.json describes the requests this API takes.",
        };
    }
}
