using System.Net;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Shared;

/// <summary>The host as scripts/run.sh starts it: its own process, `dotnet run` of the host project, the root appsettings.json.</summary>
public sealed class StartupTests
{
    [Test]
    [CancelAfter(120_000)]
    public async Task Host_StartedLikeRunSh_IsReady_AndReadsTheRootAppSettings()
    {
        await using var app = await AppProcess.RunHostAsync(new Dictionary<string, string>
        {
            ["Redis__KeyPrefix"] = $"startup:{Guid.NewGuid():N}:",
            ["DOTNET_ENVIRONMENT"] = "Production",
        });

        using var courses = await app.Http.GetAsync("/api/courses");
        Assert.That(courses.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var log = app.Output;
        Assert.That(log, Does.Contain("QaMonolith modules enabled: Api"));
        // The root appsettings.json turns Microsoft.AspNetCore down to Warning; without it every request logs.
        Assert.That(log, Does.Not.Contain("Request starting"), "the root appsettings.json was not read");
    }
}
