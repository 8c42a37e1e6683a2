using System.Text.Json;
using StackExchange.Redis;

namespace QaMonolith.Tests.Live;

/// <summary>
/// answer.delta entries written straight to qa:live, as the Answers module writes them: forwarded to their question's
/// sockets as they come, outside the resumable history of qa:events.
/// </summary>
public sealed class LiveDeltaTests : LiveFixture
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // A short send queue, so a stalled socket's half of it fills soon.
    protected override Dictionary<string, string?> Settings => new() { ["Modules:Answers"] = "false", ["Live:SendQueueSize"] = "16" };

    [Test]
    public async Task Delta_GoesToTheQuestionsSockets_AsTypeAndPayload_WithoutEventId_AndNotToOtherTopics()
    {
        var question = NewId();
        await using var watcher = await ConnectAsync($"topics=question:{question}");
        await using var other = await ConnectAsync($"topics=question:{NewId()},course:{question}");

        await DeltaAsync(7, question, slot: 1, seq: 1, "Readers see");

        var frame = await watcher.NextAsync();
        Assert.That(frame.ToString(), Is.EqualTo(JsonSerializer.Serialize(new
        {
            type = "answer.delta", courseId = 7, questionId = question, slot = 1, seq = 1, text = "Readers see",
        }, Json)));
        await other.AssertQuietAsync(TimeSpan.FromMilliseconds(300));
    }

    [Test]
    public async Task Resume_ReplaysTheMissedEvents_ButNeverADelta_AndDeltasDoNotDisturbTheResumePoint()
    {
        var question = NewId();
        string last;
        await using (var first = await ConnectAsync($"topics=question:{question}"))
        {
            last = await Stream.AnswerCreatedAsync(1, question, 1);
            Assert.That((await first.NextAsync()).GetProperty("eventId").GetString(), Is.EqualTo(last));
            await DeltaAsync(1, question, 0, 1, "Half of an");
            Assert.That((await first.NextAsync()).GetProperty("type").GetString(), Is.EqualTo("answer.delta"));
        }

        await DeltaAsync(1, question, 0, 2, "Half of an answer, missed");
        var missed = await Stream.AnswerCreatedAsync(1, question, 2);
        await using var resumed = await ConnectAsync($"topics=question:{question}&after={last}");

        Assert.That((await resumed.NextAsync()).GetProperty("eventId").GetString(), Is.EqualTo(missed));
        await DeltaAsync(1, question, 1, 1, "Live again");
        Assert.That((await resumed.NextAsync()).GetProperty("text").GetString(), Is.EqualTo("Live again"));
        var next = await Stream.AnswerCreatedAsync(1, question, 3);
        Assert.That((await resumed.NextAsync()).GetProperty("eventId").GetString(), Is.EqualTo(next), "a live event after a delta is still sent");
        await resumed.AssertQuietAsync(TimeSpan.FromMilliseconds(300));
    }

    [Test]
    public async Task ADeltaThatComesAfterItsSlotWasSaved_IsNotSent_ButOtherSlotsDeltasAre()
    {
        var question = NewId();
        await using var watcher = await ConnectAsync($"topics=question:{question}");
        var now = DateTime.UtcNow;
        await Stream.AddAsync("answer.created", new
        {
            courseId = 1,
            questionId = question,
            slot = 0,
            answer = new { id = 1, questionId = question, text = "Saved.", upvotes = 0, createdAt = now, lastActivityAt = now, author = new { kind = "llm", model = "m" }, upvotedByMe = false },
        });
        Assert.That((await watcher.NextAsync()).GetProperty("type").GetString(), Is.EqualTo("answer.created"));

        await DeltaAsync(1, question, slot: 0, seq: 9, "Sav");
        await DeltaAsync(1, question, slot: 1, seq: 1, "Another slot");

        var next = await watcher.NextAsync();
        Assert.That(next.GetProperty("slot").GetInt32(), Is.EqualTo(1), "the saved slot's late delta would reopen a placeholder");
        await watcher.AssertQuietAsync(TimeSpan.FromMilliseconds(300));
    }

    [Test]
    public async Task ManyDeltasToASocketThatDoesNotRead_AreDropped_WithoutClosingIt()
    {
        var question = NewId();
        await using var stalled = await ConnectAsync($"topics=question:{question}", read: false);
        // 20 MB of text in all: more than the socket's kernel buffers and half its send queue hold.
        var big = new string('x', 20_000);
        var db = Stream.Db;
        for (var seq = 1; seq <= 1_000; seq += 100)
        {
            await Task.WhenAll(Enumerable.Range(seq, 100).Select(s => db.StreamAddAsync(App.KeyPrefix + "qa:live",
                [new NameValueEntry("type", "answer.delta"), new NameValueEntry("data", Data(1, question, 0, s, big))])));
        }

        await Infrastructure.Eventually.TrueAsync(async () => (await MetricsAsync()).GetProperty("deltasDropped").GetInt64() > 0,
            TimeSpan.FromSeconds(20), "deltas dropped for the stalled socket");
        Assert.That(stalled.Socket.State, Is.EqualTo(System.Net.WebSockets.WebSocketState.Open), "a delta never closes a socket");
        Assert.That((await MetricsAsync()).GetProperty("droppedForOverflow").GetInt64(), Is.Zero);
        await db.KeyDeleteAsync(App.KeyPrefix + "qa:live");
    }

    private Task DeltaAsync(long courseId, long questionId, int slot, int seq, string text) =>
        Stream.Db.StreamAddAsync(App.KeyPrefix + "qa:live",
            [new NameValueEntry("type", "answer.delta"), new NameValueEntry("data", Data(courseId, questionId, slot, seq, text))]);

    private static string Data(long courseId, long questionId, int slot, int seq, string text) =>
        JsonSerializer.Serialize(new { courseId, questionId, slot, seq, text }, Json);
}
