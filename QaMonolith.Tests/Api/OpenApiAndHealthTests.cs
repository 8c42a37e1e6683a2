using System.Net;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Api;

public sealed class OpenApiAndHealthTests : ApiFixture
{
    /// <summary>The REST table of DESIGN.md, each path with its methods, plus GET /api/answers/{answerId} (REFLECTION.md).</summary>
    private static readonly Dictionary<string, string[]> DesignedPaths = new()
    {
        ["/api/courses"] = ["get"],
        ["/api/courses/{courseId}"] = ["get"],
        ["/api/courses/{courseId}/questions"] = ["get", "post"],
        ["/api/questions/{questionId}"] = ["get"],
        ["/api/questions/{questionId}/answers"] = ["get", "post"],
        ["/api/questions/{questionId}/upvote"] = ["put", "delete"],
        ["/api/answers/{answerId}/upvote"] = ["put", "delete"],
        ["/api/answers/{answerId}"] = ["get"],
    };

    [Test]
    public async Task OpenApiDocument_ListsEveryApiPathWithItsMethods()
    {
        var document = await Api.GetJsonAsync("/openapi/v1.json");

        var paths = document.GetProperty("paths").EnumerateObject()
            .Where(p => p.Name.StartsWith("/api", StringComparison.Ordinal))
            .ToDictionary(p => p.Name, p => p.Value.EnumerateObject().Select(m => m.Name).ToArray());
        Assert.That(paths.Keys, Is.EquivalentTo(DesignedPaths.Keys));
        using (Assert.EnterMultipleScope())
        {
            foreach (var (path, methods) in DesignedPaths)
            {
                Assert.That(paths.GetValueOrDefault(path), Is.EquivalentTo(methods), path);
            }
        }
    }

    [Test]
    public async Task HealthLive_Returns200()
    {
        using var response = await Api.GetAsync("/health/live");

        await ApiClient.ReadJsonAsync(response, HttpStatusCode.OK);
    }
}
