using System.Net;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Api;

/// <summary>The id in every route: one that is not a positive whole number is a 400 naming it, an unknown one a 404.</summary>
public sealed class RouteInputTests : ApiFixture
{
    /// <summary>Every /api route that takes an id, as "METHOD /path/{idName}".</summary>
    public static readonly string[] RoutesWithAnId =
    [
        "GET /api/courses/{courseId}",
        "GET /api/courses/{courseId}/questions",
        "POST /api/courses/{courseId}/questions",
        "GET /api/questions/{questionId}",
        "GET /api/questions/{questionId}/answers",
        "POST /api/questions/{questionId}/answers",
        "PUT /api/questions/{questionId}/upvote",
        "DELETE /api/questions/{questionId}/upvote",
        "PUT /api/answers/{answerId}/upvote",
        "DELETE /api/answers/{answerId}/upvote",
    ];

    [Test]
    public async Task Route_IdNotAPositiveWholeNumber_Returns400NamingIt(
        [ValueSource(nameof(RoutesWithAnId))] string route,
        [Values("abc", "0", "-1", "1.5", "1e3", "+1", "0x1F", "%201", "9223372036854775808", "99999999999999999999")] string id)
    {
        using var response = await SendAsync(route, id);

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, IdName(route));
    }

    [Test]
    public async Task Route_UnknownId_Returns404NamingIt(
        [ValueSource(nameof(RoutesWithAnId))] string route, [Values("999999999", "9223372036854775807")] string id)
    {
        using var response = await SendAsync(route, id);

        await Problem.AssertAsync(response, HttpStatusCode.NotFound, $"id {id}");
    }

    [Test]
    public async Task Post_ToUnknownParent_Returns404AndLosesNothing([Values] Target target)
    {
        var path = target == Target.Question ? "/api/courses/999999999/questions" : "/api/questions/999999999/answers";

        await AssertRefusedAsync(target, user => Api.SendAsync(HttpMethod.Post, path, user, Body(TextBody("Anybody there?"))),
            HttpStatusCode.NotFound, "999999999");
    }

    [TestCase("/api/nope")]
    [TestCase("/api/courses//questions")]
    [TestCase("/api/questions/1/answers/1")]
    public async Task UnknownPath_Returns404Problem(string path)
    {
        using var response = await Api.GetAsync(path);

        await Problem.AssertAsync(response, HttpStatusCode.NotFound, "openapi");
    }

    [TestCase("PATCH", "/api/questions/1")]
    [TestCase("DELETE", "/api/courses/1")]
    [TestCase("PUT", "/api/courses/1/questions")]
    [TestCase("POST", "/api/questions/1/upvote")]
    public async Task WrongMethod_Returns405Problem(string method, string path)
    {
        using var response = await Api.SendAsync(new HttpMethod(method), path, ApiClient.NewUser());

        await Problem.AssertAsync(response, HttpStatusCode.MethodNotAllowed, method);
    }

    /// <summary>Sends the route with <paramref name="id"/> in it, and otherwise all it needs: a user on writes, a valid body on posts.</summary>
    private Task<HttpResponseMessage> SendAsync(string route, string id)
    {
        var method = route[..route.IndexOf(' ', StringComparison.Ordinal)];
        var path = route[(method.Length + 1)..].Replace($"{{{IdName(route)}}}", id, StringComparison.Ordinal);
        var content = method == "POST" ? Body(TextBody("A post to a route with a bad id.")) : null;
        return Api.SendAsync(new HttpMethod(method), path, method == "GET" ? null : ApiClient.NewUser(), content);
    }

    private static string IdName(string route) => route[(route.IndexOf('{', StringComparison.Ordinal) + 1)..route.IndexOf('}', StringComparison.Ordinal)];
}
