namespace QaMonolith.Tests.Live;

public sealed class LiveResumeTests : LiveFixture
{
    [Test]
    public async Task Reconnect_WithAfterItsLastId_GetsExactlyTheEventsItMissed_ThenLiveOnes()
    {
        var course = NewId();
        string last;
        await using (var client = await ConnectAsync($"topics=course:{course}"))
        {
            await Stream.QuestionsCreatedAsync(course, 3);
            last = EventIds(await client.EventsAsync(3))[^1];
        }

        var missed = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            missed.Add(await Stream.QuestionCreatedAsync(course, 100 + i));
            // Other courses' events in between must not be replayed.
            await Stream.QuestionCreatedAsync(NewId(), 1);
        }

        await using var resumed = await ConnectAsync($"topics=course:{course}&after={last}");
        Assert.That(EventIds(await resumed.EventsAsync(10)), Is.EqualTo(missed));

        var live = await Stream.QuestionCreatedAsync(course, 200);
        Assert.That((await resumed.NextAsync()).GetProperty("eventId").GetString(), Is.EqualTo(live));
        await resumed.AssertQuietAsync(TimeSpan.FromMilliseconds(300));
    }

    [Test]
    public async Task Reconnect_WhileEventsKeepComing_HasNoGapAndNoDuplicate()
    {
        var course = NewId();
        var start = await Stream.QuestionCreatedAsync(course, 1);
        using var stop = new CancellationTokenSource();
        var producer = ProduceAsync(course, stop.Token);

        // Several reconnects while entries land, each racing the replay against live delivery.
        var seen = new List<string>();
        var after = start;
        for (var round = 0; round < 5; round++)
        {
            await using var client = await ConnectAsync($"topics=course:{course}&after={after}");
            var events = await client.EventsAsync(20);
            seen.AddRange(EventIds(events));
            after = seen[^1];
        }

        await stop.CancelAsync();
        await producer;
        var expected = await Stream.IdsAfterAsync(start);
        Assert.That(seen, Is.EqualTo(expected.Take(seen.Count)), "every entry after the start exactly once, in order");
    }

    [Test]
    public async Task Reconnect_WithAnIdOlderThanTheTrimmedHistory_GetsReset()
    {
        var course = NewId();
        await using var client = await ConnectAsync($"topics=course:{course}");
        var ids = await Stream.QuestionsCreatedAsync(course, 20);
        await client.EventsAsync(20);
        // Trim the way the relay's MAXLEN does, only exactly and shorter.
        await Stream.Db.StreamTrimAsync(Stream.Key, 5);

        await using var resumed = await ConnectAsync($"topics=course:{course}&after={ids[2]}");

        Assert.That((await resumed.NextAsync()).GetProperty("type").GetString(), Is.EqualTo("reset"));
        // Still live after the reset: the client reloads over REST and keeps the socket.
        var next = await Stream.QuestionCreatedAsync(course, 21);
        Assert.That((await resumed.NextAsync()).GetProperty("eventId").GetString(), Is.EqualTo(next));
    }

    [Test]
    public async Task Reconnect_FromTheNewestKeptEntryAfterTrimming_IsNoReset()
    {
        var course = NewId();
        var ids = await Stream.QuestionsCreatedAsync(course, 20);
        await Stream.Db.StreamTrimAsync(Stream.Key, 5);
        var kept = (await Stream.Db.StreamRangeAsync(Stream.Key, count: 1))[0].Id.ToString();

        await using var resumed = await ConnectAsync($"topics=course:{course}&after={kept}");

        var expected = ids.SkipWhile(id => id != kept).Skip(1).ToArray();
        Assert.That(EventIds(await resumed.EventsAsync(expected.Length)), Is.EqualTo(expected));
    }

    [Test]
    public async Task Reconnect_WithAnIdNewerThanTheStreamEverHad_GetsReset()
    {
        await using var client = await ConnectAsync($"topics=course:{NewId()}&after=99999999999999-0");

        Assert.That((await client.NextAsync()).GetProperty("type").GetString(), Is.EqualTo("reset"));
    }

    [Test]
    public async Task Reconnect_WithTheHelloId_GetsWhatHappenedSince()
    {
        var course = NewId();
        string hello;
        await using (var client = await ConnectAsync($"topics=course:{course}"))
        {
            hello = client.Hello.GetProperty("lastEventId").GetString()!;
        }

        var missed = await Stream.QuestionsCreatedAsync(course, 3);
        await using var resumed = await ConnectAsync($"topics=course:{course}&after={hello}");

        Assert.That(EventIds(await resumed.EventsAsync(3)), Is.EqualTo(missed));
    }

    private async Task ProduceAsync(long course, CancellationToken stop)
    {
        for (var i = 2; !stop.IsCancellationRequested; i++)
        {
            await Stream.QuestionCreatedAsync(course, i);
            await Task.Delay(2, CancellationToken.None);
        }
    }
}
