using System.Net.WebSockets;
using QaMonolith.Tests.Infrastructure;
using StackExchange.Redis;

namespace QaMonolith.Tests.Live;

public sealed class LiveRedisRestartTests
{
    /// <param name="durable">
    /// With an append-only file the stream survives the restart, as in production; without, Redis comes back
    /// empty and the reader must notice the stream is new rather than wait for ids above the one it had.
    /// </param>
    [TestCase(true)]
    [TestCase(false)]
    [CancelAfter(90_000)]
    public async Task RedisRestart_WhileSocketsAreOpen_LaterEventsArrive_AndNoneTheStreamHoldsIsSkipped(bool durable)
    {
        await using var server = await RedisServer.StartAsync(durable: durable);
        await using var app = await QaApp.StartAsync(
            new Dictionary<string, string?> { ["Modules:Answers"] = "false" }, redis: server.ConnectionString + ",connectTimeout=500", kestrel: true);
        using var api = new ApiClient(app.CreateClient());
        await using var client = await LiveClient.ConnectAsync(app.Address, "topics=course:1");

        string lastBefore;
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString))
        {
            var before = new EventWriter(redis, app.KeyPrefix);
            var ids = await before.QuestionsCreatedAsync(1, 3);
            Assert.That(LiveClient.EventIds(await client.EventsAsync(3)), Is.EqualTo(ids));
            lastBefore = ids[^1];
        }

        await server.StopAsync();
        // Posted during the outage: the outbox holds it until Redis is back.
        var during = await api.AskAsync(1, "Does this reach the page once Redis is back?");
        await server.StartAsync();

        // Written the moment Redis is back, likely before the reader has reconnected.
        await using var after = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        var stream = new EventWriter(after, app.KeyPrefix);
        await stream.QuestionsCreatedAsync(1, 3, firstQuestionId: 100);

        var events = await client.EventsAsync(4, TimeSpan.FromSeconds(30));
        var expected = await stream.IdsAfterAsync(lastBefore);
        Assert.Multiple(() =>
        {
            Assert.That(LiveClient.EventIds(events), Is.EqualTo(expected), "exactly what the stream holds after the last event seen, in order");
            Assert.That(events.Select(e => e.GetProperty("question").GetProperty("id").GetInt64()), Does.Contain(during.GetProperty("id").GetInt64()));
            Assert.That(client.Socket.State, Is.EqualTo(WebSocketState.Open), "the socket never noticed");
        });
        var metrics = await api.GetJsonAsync("/live/metrics");
        Assert.That(metrics.GetProperty("readerFailures").GetInt64(), Is.Positive, "the reader did lose Redis");
        Assert.That(metrics.GetProperty("readerConnected").GetBoolean(), Is.True);
        await client.AssertQuietAsync(TimeSpan.FromMilliseconds(300));
    }
}
