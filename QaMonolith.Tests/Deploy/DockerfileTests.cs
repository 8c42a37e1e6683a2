using System.Net;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Deploy;

/// <summary>
/// There is no Docker engine here, so the Dockerfile is checked against the project instead: what it copies exists,
/// its restore is a layer of its own, its build stage replayed on this machine (the same restore and publish
/// commands) yields the assembly ENTRYPOINT names, and that assembly, started with the image's environment, passes
/// the image's own HEALTHCHECK command on the port the image exposes.
/// </summary>
public sealed class DockerfileTests
{
    private static readonly Dockerfile File = Dockerfile.Read(Path.Combine(Repo.Root, "Dockerfile"));

    [Test]
    public void Stages_BuildWithTheSdk_AndRunOnTheAspNetRuntime()
    {
        Assert.That(File.Stages, Has.Count.EqualTo(2));
        Assert.That(File.Stages[0].Image, Does.StartWith("mcr.microsoft.com/dotnet/sdk:10.0"));
        Assert.That(File.Final.Image, Does.StartWith("mcr.microsoft.com/dotnet/aspnet:10.0"));
    }

    [Test]
    public void EveryCopySource_ExistsInTheRepository()
    {
        var sources = File.Stages.SelectMany(s => s.All("COPY"))
            .Select(c => c.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(words => !words.Any(w => w.StartsWith("--from=", StringComparison.Ordinal)))
            .SelectMany(words => words[..^1])
            .ToList();

        Assert.That(sources, Is.Not.Empty);
        Assert.That(sources.Where(s => !System.IO.File.Exists(Path.Combine(Repo.Root, s)) && !Directory.Exists(Path.Combine(Repo.Root, s))), Is.Empty);
    }

    [Test]
    public void Restore_IsALayerOfItsOwn_BeforeTheSourcesAreCopied()
    {
        var build = File.Stages[0].Instructions.ToList();
        var restore = build.FindIndex(i => i.Keyword == "RUN" && i.Arguments.StartsWith("dotnet restore", StringComparison.Ordinal));
        var sources = build.FindIndex(i => i.Keyword == "COPY" && i.Arguments.StartsWith("QaMonolith/ ", StringComparison.Ordinal));
        var publish = build.FindIndex(i => i.Keyword == "RUN" && i.Arguments.StartsWith("dotnet publish", StringComparison.Ordinal));

        Assert.That(restore, Is.GreaterThan(0), "no RUN dotnet restore");
        Assert.That(sources, Is.GreaterThan(restore), "the sources must be copied after the restore, or every change busts its cache");
        Assert.That(publish, Is.GreaterThan(sources));
        Assert.That(build[publish].Arguments, Does.Contain("--no-restore"));
        // Only project and build files may be copied before the restore: anything else changes too often.
        var beforeRestore = build.Take(restore).Where(i => i.Keyword == "COPY").SelectMany(c => c.Arguments.Split(' ')[..^1]);
        var churning = beforeRestore.Where(s => !s.EndsWith(".csproj", StringComparison.Ordinal) && !s.EndsWith(".props", StringComparison.Ordinal)
            && s is not ".editorconfig" and not "appsettings.json");
        Assert.That(churning, Is.Empty);
    }

    [Test]
    public void Runtime_IsNonRoot_AndExposesTheConfiguredPort()
    {
        var env = File.Final.Environment();
        var exposed = File.Final.All("EXPOSE").Select(e => e.Arguments).ToList();

        Assert.That(env, Does.ContainKey("ASPNETCORE_HTTP_PORTS"));
        Assert.That(exposed, Is.EqualTo(new[] { env["ASPNETCORE_HTTP_PORTS"] }));
        Assert.That(env["DOTNET_ENVIRONMENT"], Is.EqualTo("Production"));
        var user = File.Final.All("USER").Select(u => u.Arguments).LastOrDefault();
        Assert.That(user, Is.Not.Null.And.Not.EqualTo("root").And.Not.EqualTo("0"), "the container must not run as root");
        var health = HealthCheckCommand();
        Assert.That(health, Does.Contain($"/dev/tcp/127.0.0.1/{env["ASPNETCORE_HTTP_PORTS"]}").And.Contain("GET /health/ready"));
    }

    [Test]
    [CancelAfter(300_000)]
    public async Task BuildStageReplayed_YieldsTheEntryAssembly_ThatPassesTheHealthCheck()
    {
        var image = await ImageBuild.ImageAsync();
        var hostAssembly = typeof(QaMonolith.Shared.ModulesOptions).Assembly.GetName().Name + ".dll";

        Assert.That(image.Entrypoint, Is.EqualTo(new[] { "dotnet", hostAssembly }));
        Assert.That(System.IO.File.Exists(Path.Combine(image.WorkDir, hostAssembly)), "the published output lacks the ENTRYPOINT assembly");
        Assert.That(System.IO.File.Exists(Path.Combine(image.WorkDir, "appsettings.json")), "the root appsettings.json is not published");
        Assert.That(Directory.Exists(Path.Combine(image.WorkDir, "wwwroot")), "the pages are not published");

        await using var app = await image.StartAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = await Servers.Postgres.CreateDatabaseAsync(),
            ["ConnectionStrings__Redis"] = Servers.Redis.ConnectionString,
            ["Redis__KeyPrefix"] = $"docker:{Guid.NewGuid():N}:",
        }, "the image's entry point");
        await app.WaitUntilReadyAsync();

        var port = image.Environment["ASPNETCORE_HTTP_PORTS"];
        var probe = HealthCheckCommand().Replace($"/dev/tcp/127.0.0.1/{port}", $"/dev/tcp/127.0.0.1/{app.Port}", StringComparison.Ordinal);
        Assert.That(await ExitCodeAsync(probe), Is.Zero, "the image's HEALTHCHECK fails against the running app");
        using var page = await app.Http.GetAsync("/");
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task HealthCheckCommand_FailsWhenNothingListens()
    {
        var port = File.Final.Environment()["ASPNETCORE_HTTP_PORTS"];
        var probe = HealthCheckCommand().Replace($"/dev/tcp/127.0.0.1/{port}", $"/dev/tcp/127.0.0.1/{await Servers.FreePortAsync()}", StringComparison.Ordinal);

        Assert.That(await ExitCodeAsync(probe), Is.Not.Zero);
    }

    /// <summary>The shell command of <c>HEALTHCHECK ... CMD ["bash", "-c", "..."]</c>.</summary>
    private static string HealthCheckCommand()
    {
        var healthCheck = File.Final.All("HEALTHCHECK").Single().Arguments;
        var exec = new DockerInstruction("CMD", healthCheck[healthCheck.IndexOf('[', StringComparison.Ordinal)..]).ExecForm!;
        Assert.That(exec[..2], Is.EqualTo(new[] { "bash", "-c" }));
        return exec[2];
    }

    private static async Task<int> ExitCodeAsync(string command) => (await Command.RunAsync("bash", ["-c", command])).ExitCode;
}
