using QaMonolith.Tests.Infrastructure;
using StackExchange.Redis;

namespace QaMonolith.Tests.Live;

public sealed class LiveScaleTests : LiveFixture
{
    [Test]
    [CancelAfter(120_000)]
    public async Task ThousandSocketsOnOneTopic_AllGetABurstOf100Events_NoneMissing()
    {
        var course = NewId();
        var clients = new List<LiveClient>();
        try
        {
            // In waves, so the listen backlog never overflows.
            for (var wave = 0; wave < 10; wave++)
            {
                clients.AddRange(await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => ConnectAsync($"topics=course:{course}"))));
            }

            var ids = await Stream.QuestionsCreatedAsync(course, 100);

            var received = await Task.WhenAll(clients.Select(c => c.EventsAsync(100, TimeSpan.FromSeconds(60))));
            Assert.That(received.Count(events => EventIds(events).SequenceEqual(ids)), Is.EqualTo(1000), "every socket got all 100, in order");
            Assert.That((await MetricsAsync()).GetProperty("droppedForOverflow").GetInt64(), Is.Zero);
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        }
    }
}

public sealed class LiveInstancesTests
{
    [Test]
    [CancelAfter(90_000)]
    public async Task TwoInstancesOnOneRedis_ASocketOnEachGetsEveryEvent()
    {
        // One deployment: the same database and key prefix. Only the first runs the API (and so the relay).
        var database = await Servers.Postgres.CreateDatabaseAsync();
        var prefix = $"test:{Guid.NewGuid():N}:";
        await using var first = await QaApp.StartAsync(new Dictionary<string, string?> { ["Modules:Answers"] = "false" },
            postgres: database, keyPrefix: prefix, kestrel: true);
        await using var second = await QaApp.StartAsync(new Dictionary<string, string?> { ["Modules:Answers"] = "false", ["Modules:Api"] = "false" },
            postgres: database, keyPrefix: prefix, kestrel: true);
        using var api = new ApiClient(first.CreateClient());
        await using var redis = await ConnectionMultiplexer.ConnectAsync(first.RedisConnectionString);
        var stream = new EventWriter(redis, prefix);
        await using var onFirst = await LiveClient.ConnectAsync(first.Address, "topics=course:4");
        await using var onSecond = await LiveClient.ConnectAsync(second.Address, "topics=course:4");

        var posted = await api.AskAsync(4, "Why does TCP need a three-way handshake?");
        // The relay publishes after the 201; the entries written below must not overtake it.
        var postedOnFirst = await onFirst.NextAsync();
        var postedOnSecond = await onSecond.NextAsync();
        var written = await stream.QuestionsCreatedAsync(4, 20, firstQuestionId: 1_000_000);

        var fromFirst = await onFirst.EventsAsync(20);
        var fromSecond = await onSecond.EventsAsync(20);
        Assert.Multiple(() =>
        {
            Assert.That(postedOnFirst.GetProperty("question").GetProperty("id").GetInt64(), Is.EqualTo(posted.GetProperty("id").GetInt64()));
            Assert.That(postedOnSecond.GetRawText(), Is.EqualTo(postedOnFirst.GetRawText()), "the same event with the same id");
            Assert.That(LiveClient.EventIds(fromFirst), Is.EqualTo(written));
            Assert.That(LiveClient.EventIds(fromSecond), Is.EqualTo(written));
        });
    }
}
