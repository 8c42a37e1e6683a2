using System.Diagnostics;
using System.Net;
using System.Text;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Shared;

/// <summary>The host as scripts/run.sh starts it: its own process, `dotnet run` of the host project, the root appsettings.json.</summary>
public sealed class StartupTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    [Test]
    [CancelAfter(120_000)]
    public async Task Host_StartedLikeRunSh_IsReady_AndReadsTheRootAppSettings()
    {
        var port = await Servers.FreePortAsync();
        var start = new ProcessStartInfo("dotnet", ["run", "--project", Path.Combine(Repo.Root, "QaMonolith", "QaMonolith.csproj"),
            "-c", Configuration, "--no-build", "--no-launch-profile"])
        {
            WorkingDirectory = Repo.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ConnectionStrings__Postgres"] = await Servers.Postgres.CreateDatabaseAsync();
        start.Environment["ConnectionStrings__Redis"] = Servers.Redis.ConnectionString;
        start.Environment["Redis__KeyPrefix"] = $"startup:{Guid.NewGuid():N}:";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";

        var output = new StringBuilder();
        using var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await Eventually.TrueAsync(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK,
                TimeSpan.FromSeconds(60), "the host to become ready");
            using var courses = await client.GetAsync("/api/courses");
            Assert.That(courses.StatusCode, Is.EqualTo(HttpStatusCode.OK));

            string log;
            lock (output)
            {
                log = output.ToString();
            }

            Assert.That(log, Does.Contain("QaMonolith modules enabled: Api"));
            // The root appsettings.json turns Microsoft.AspNetCore down to Warning; without it every request logs.
            Assert.That(log, Does.Not.Contain("Request starting"), "the root appsettings.json was not read");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
