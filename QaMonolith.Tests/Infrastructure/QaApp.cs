using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace QaMonolith.Tests.Infrastructure;

/// <summary>
/// The real app in process, on its own database and Redis key prefix, with settings a test can override.
/// Created ready: migrations applied and /health/ready answering 200 (unless told not to wait).
/// </summary>
public sealed class QaApp : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    private QaApp(Dictionary<string, string?> settings) => _settings = settings;

    public string PostgresConnectionString => _settings["ConnectionStrings:Postgres"]!;

    public string RedisConnectionString => _settings["ConnectionStrings:Redis"]!;

    public string KeyPrefix => _settings["Redis:KeyPrefix"]!;

    /// <summary>
    /// Starts an app on a new database of the shared servers (or the ones given). With <paramref name="kestrel"/> it
    /// serves on a real 127.0.0.1 socket, for what the in-memory test server lacks (it has no client IP address).
    /// </summary>
    public static async Task<QaApp> StartAsync(
        IDictionary<string, string?>? settings = null,
        string? postgres = null,
        string? redis = null,
        string? keyPrefix = null,
        bool waitUntilReady = true,
        bool kestrel = false)
    {
        var all = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = postgres ?? await Servers.Postgres.CreateDatabaseAsync(),
            ["ConnectionStrings:Redis"] = redis ?? Servers.Redis.ConnectionString,
            ["Redis:KeyPrefix"] = keyPrefix ?? $"test:{Guid.NewGuid():N}:",
            // Tests post from one address with many user ids; the per-IP ceiling has its own test.
            ["RateLimits:PerIpPerMinute"] = "0",
            ["Outbox:SweepInterval"] = "00:00:00.200",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var app = new QaApp(all);
        if (kestrel)
        {
            app.UseKestrel(0);
            app.StartServer();
        }
        else
        {
            _ = app.Server;
        }

        if (waitUntilReady)
        {
            await app.WaitUntilReadyAsync();
        }

        return app;
    }

    public async Task WaitUntilReadyAsync(TimeSpan? timeout = null)
    {
        using var client = CreateClient();
        await Eventually.TrueAsync(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK,
            timeout ?? TimeSpan.FromSeconds(30), "the app to become ready");
    }

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // UseSetting, not ConfigureAppConfiguration: Program.cs reads the module flags and connection strings while
        // building, and only host settings are visible that early under WebApplicationFactory.
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
