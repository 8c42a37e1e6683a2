using System.Diagnostics;
using System.Net;
using System.Text;

namespace QaMonolith.Tests.Infrastructure;

/// <summary>
/// The app as its own operating-system process (not an in-process host), listening on a free port of 127.0.0.1,
/// its stdout and stderr kept for assertions and failure messages. Disposing kills it.
/// </summary>
internal sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private AppProcess(Process process, string name, int port)
    {
        _process = process;
        Name = name;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string Name { get; }

    public int Port { get; }

    public HttpClient Http { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>What it wrote so far, line by line.</summary>
    public IReadOnlyList<string> Lines => Output.Split('\n', StringSplitOptions.TrimEntries);

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    /// <summary>
    /// The built host as scripts/run.sh starts it (<c>dotnet run --no-build</c>), on a new database of the shared
    /// servers and a key prefix of its own, <paramref name="environment"/> added (it may override those), ready.
    /// </summary>
    public static async Task<AppProcess> RunHostAsync(IReadOnlyDictionary<string, string> environment)
    {
        var all = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = await Servers.Postgres.CreateDatabaseAsync(),
            ["ConnectionStrings__Redis"] = Servers.Redis.ConnectionString,
            ["Redis__KeyPrefix"] = $"process:{Guid.NewGuid():N}:",
        };
        foreach (var (key, value) in environment)
        {
            all[key] = value;
        }

        var app = await StartAsync("dotnet",
            ["run", "--project", Path.Combine(Repo.Root, "QaMonolith", "QaMonolith.csproj"), "-c", Configuration, "--no-build", "--no-launch-profile"],
            Repo.Root, all, "dotnet run");
        try
        {
            await app.WaitUntilReadyAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return app;
    }

    /// <summary>Starts <paramref name="fileName"/> with ASPNETCORE_URLS set to a free port; does not wait for it.</summary>
    public static async Task<AppProcess> StartAsync(string fileName, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string> environment, string name)
    {
        var port = await Servers.FreePortAsync();
        var start = new ProcessStartInfo(fileName, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        var app = new AppProcess(Process.Start(start)!, name, port);
        app._process.OutputDataReceived += (_, e) => app.Append(e.Data);
        app._process.ErrorDataReceived += (_, e) => app.Append(e.Data);
        app._process.BeginOutputReadLine();
        app._process.BeginErrorReadLine();
        return app;
    }

    /// <summary>Waits until <c>/health/ready</c> answers 200; fails with the process's output if it exits or takes too long.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan? timeout = null)
    {
        await Eventually.TrueAsync(async () =>
        {
            if (_process.HasExited)
            {
                Assert.Fail($"{Name} exited with {_process.ExitCode} before it was ready:\n{Output}");
            }

            using var response = await Http.GetAsync("/health/ready");
            return response.StatusCode == HttpStatusCode.OK;
        }, timeout ?? TimeSpan.FromSeconds(60), $"{Name} to become ready; its output so far:\n{Output}");
    }

    /// <summary>SIGKILL: no shutdown hook runs, as when a machine or container dies.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
        Http.Dispose();
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
