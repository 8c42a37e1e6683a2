using System.Diagnostics;
using System.Net;
using System.Text;

namespace QaMonolith.Tests.Infrastructure;

/// <summary>The built host in a process of its own (`dotnet run --no-build`), with its console output kept for the test.</summary>
internal sealed class HostProcess : IAsyncDisposable
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private readonly Process _process;
    private readonly List<string> _lines = [];

    private HostProcess(Process process, Uri address)
    {
        _process = process;
        Client = new HttpClient { BaseAddress = address };
    }

    public HttpClient Client { get; }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>
    /// Starts the host as scripts/run.sh does, on a new database of the shared servers, with <paramref name="environment"/>
    /// added (it may override the key prefix), and waits until it is ready.
    /// </summary>
    public static async Task<HostProcess> StartAsync(IDictionary<string, string> environment)
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
        start.Environment["Redis__KeyPrefix"] = $"process:{Guid.NewGuid():N}:";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var host = new HostProcess(Process.Start(start)!, new Uri($"http://127.0.0.1:{port}"));
        host._process.OutputDataReceived += (_, e) => host.Add(e.Data);
        host._process.ErrorDataReceived += (_, e) => host.Add(e.Data);
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        try
        {
            await Eventually.TrueAsync(async () => (await host.Client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK,
                TimeSpan.FromSeconds(60), "the host to become ready");
        }
        catch
        {
            TestContext.Out.WriteLine(string.Join('\n', host.Lines));
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            lock (_lines)
            {
                _lines.Add(line);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
