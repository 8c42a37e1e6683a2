using System.Text.Json;
using QaMonolith.Tests.Infrastructure;
using StackExchange.Redis;

namespace QaMonolith.Tests.Live;

/// <summary>
/// One app with real sockets (Kestrel on 127.0.0.1) for the whole fixture, and a way to write events to its
/// stream. Tests that write entries directly use ids of their own (<see cref="NewId"/>), so they never see each
/// other's events; tests that post use the seeded courses.
/// </summary>
public abstract class LiveFixture
{
    private static long s_ids = 1_000_000;

    protected QaApp App { get; private set; } = null!;

    protected ApiClient Api { get; private set; } = null!;

    protected EventWriter Stream { get; private set; } = null!;

    private IConnectionMultiplexer _redis = null!;

    /// <summary>Settings on top of the defaults; no model answers, so the only events are the tests' own.</summary>
    protected virtual Dictionary<string, string?> Settings => new() { ["Modules:Answers"] = "false" };

    [OneTimeSetUp]
    public async Task StartAppAsync()
    {
        App = await QaApp.StartAsync(Settings, kestrel: true);
        Api = new ApiClient(App.CreateClient());
        _redis = await ConnectionMultiplexer.ConnectAsync(App.RedisConnectionString);
        Stream = new EventWriter(_redis, App.KeyPrefix);
    }

    [OneTimeTearDown]
    public async Task StopAppAsync()
    {
        Api.Dispose();
        await _redis.DisposeAsync();
        await App.DisposeAsync();
    }

    /// <summary>A course or question id no other test uses.</summary>
    protected static long NewId() => Interlocked.Increment(ref s_ids);

    protected Task<LiveClient> ConnectAsync(string query = "", bool read = true, string? origin = null) =>
        LiveClient.ConnectAsync(App.Address, query, read, origin);

    protected Task<JsonElement> MetricsAsync() => Api.GetJsonAsync("/live/metrics");

    /// <summary>
    /// Returns once the server has handled every message the client sent before: the server reads a socket's
    /// messages in order and does not acknowledge them, so the client subscribes to a fresh topic and writes to it
    /// until an event arrives. An event written before the subscription took effect is never delivered, so no
    /// stray probe event is left behind.
    /// </summary>
    protected async Task BarrierAsync(LiveClient client)
    {
        var probe = NewId();
        await client.SendTextAsync($$"""{"type":"subscribe","topics":["course:{{probe}}"]}""");
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var id = await Stream.QuestionCreatedAsync(probe, 1);
            if (await client.TryNextAsync(TimeSpan.FromMilliseconds(500)) is { } e)
            {
                Assert.That(e.GetProperty("eventId").GetString(), Is.EqualTo(id), "the probe's event, nothing else");
                return;
            }
        }

        Assert.Fail("the server never took the probe subscription");
    }

    protected static string[] EventIds(IEnumerable<JsonElement> events) => LiveClient.EventIds(events);
}
