using System.Net.WebSockets;
using System.Text.Json;

namespace QaMonolith.Tests.Live;

public sealed class LiveBackpressureTests : LiveFixture
{
    protected override Dictionary<string, string?> Settings => new(base.Settings)
    {
        ["Live:SendQueueSize"] = "64",
        // Long enough for the test to start reading and see the close code behind the frames it never read.
        ["Live:CloseTimeout"] = "00:00:20",
    };

    [Test]
    [CancelAfter(60_000)]
    public async Task ClientThatNeverReads_IsDroppedWith1013_WhileAHealthyOneGetsEverything()
    {
        var course = NewId();
        await using var slow = await ConnectAsync($"topics=course:{course}", read: false);
        await using var healthy = await ConnectAsync($"topics=course:{course}");

        // Big events fill the socket buffers of the client that does not read; how many that takes depends on the
        // kernel, so write rounds until the server gives up on it. A round is half the queue: a burst bigger than
        // the queue would overflow every socket, healthy or not, before its sender could drain it.
        var text = new string('x', 4000);
        var sent = new List<string>();
        var received = new List<JsonElement>();
        for (var round = 0; round < 400 && (await MetricsAsync()).GetProperty("droppedForOverflow").GetInt64() == 0; round++)
        {
            var ids = await Stream.QuestionsCreatedAsync(course, 32, sent.Count + 1, text);
            sent.AddRange(ids);
            received.AddRange(await healthy.EventsAsync(ids.Length));
        }

        Assert.That((await MetricsAsync()).GetProperty("droppedForOverflow").GetInt64(), Is.EqualTo(1), "the slow socket, and only it, was dropped");
        Assert.That(EventIds(received), Is.EqualTo(sent), "the healthy socket got every event, in order");
        Assert.That(healthy.Socket.State, Is.EqualTo(WebSocketState.Open));

        // The slow client wakes up: it gets what was already on its way, then the close.
        var late = await slow.DrainUntilClosedAsync(TimeSpan.FromSeconds(30));
        Assert.That(slow.Socket.CloseStatus, Is.EqualTo((WebSocketCloseStatus)1013), slow.CloseDescription);
        var lateIds = EventIds(late.Skip(1));
        Assert.That(lateIds, Is.EqualTo(sent.Take(lateIds.Length)), "a prefix of the stream: it resumes after the last one");
        Assert.That(lateIds, Has.Length.LessThan(sent.Count));
    }
}
