using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace QaMonolith.Tests.Infrastructure;

/// <summary>
/// The real app in process, on its own database and Redis key prefix, with settings a test can override.
/// Created ready: migrations applied and /health/ready answering 200 (unless told not to wait).
/// </summary>
public sealed class QaApp : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private List<ServiceDescriptor> _registrations = [];

    private QaApp(Dictionary<string, string?> settings, bool kestrel)
    {
        _settings = settings;
        if (kestrel)
        {
            // A real listening socket, for clients the in-memory TestServer cannot serve (WebSockets, raw TCP).
            UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        }
    }

    public string PostgresConnectionString => _settings["ConnectionStrings:Postgres"]!;

    public string RedisConnectionString => _settings["ConnectionStrings:Redis"]!;

    public string KeyPrefix => _settings["Redis:KeyPrefix"]!;

    /// <summary>Where Kestrel listens (<c>http://127.0.0.1:port</c>); only for an app started with <c>kestrel: true</c>.</summary>
    public Uri Address => new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());

    /// <summary>
    /// Starts an app on a new database of the shared servers (or the ones given); with <paramref name="kestrel"/>
    /// it listens on a free port of 127.0.0.1 (see <see cref="Address"/>).
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

        var app = new QaApp(all, kestrel);
        app.StartServer();
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

    /// <summary>Every service the app registered, as Program.cs left the collection.</summary>
    public IReadOnlyList<ServiceDescriptor> Registrations => _registrations;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // UseSetting, not ConfigureAppConfiguration: Program.cs reads the module flags and connection strings while
        // building, and only host settings are visible that early under WebApplicationFactory.
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services => _registrations = [.. services]);
    }
}

/// <summary>Settings for tests of the Api itself, which count answers exactly: no model writes any meanwhile.</summary>
public static class ApiOnly
{
    public static Dictionary<string, string?> Settings(IDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?> { ["Modules:Answers"] = "false" };
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }
}
