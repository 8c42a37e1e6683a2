using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using QaMonolith.Answers;
using QaMonolith.Shared.Redis;
using QaMonolith.Tests.Infrastructure;
using QaMonolith.Tests.Live;
using StackExchange.Redis;
using static QaMonolith.Tests.Answers.AnswersKit;

namespace QaMonolith.Tests.Answers;

/// <summary>
/// The OpenAI-compatible provider streaming from the protocol fake (server-sent chunks), end to end through the
/// worker, qa:live and Live to real sockets; and what deltas must never do to an answer.
/// </summary>
public sealed class StreamingAnswersTests
{
    private const string Text = "Readers see a snapshot taken when they start, so they never wait for writers and writers never wait for them.";

    [Test]
    [CancelAfter(60_000)]
    public async Task OpenAIStreamedChunks_ReachTheQuestionsSocketAsGrowingDeltas_AtABoundedRate_ThenAnswerCreated()
    {
        await using var fake = await FakeModel.StartAsync(FakeProtocol.ChatCompletions);
        var watching = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fake.Respond = (_, _) => Task.FromResult(new ModelReply(Text: Text));
        const string watched = "What does MVCC give a reader?";
        // The watched question's first chunk waits for the test's socket; then a chunk every 20 ms, about 400 ms of
        // writing per answer.
        fake.BeforeChunk = async (request, index, ct) =>
            await (request.Prompt != watched ? Task.CompletedTask : index == 0 ? watching.Task.WaitAsync(ct) : Task.Delay(20, ct));
        await using var app = await QaApp.StartAsync(FastWorker(fake).With("Llm:DeltaInterval", "00:00:00.100"), kestrel: true);
        using var api = new ApiClient(app.CreateClient());
        var otherId = await AskAsync(api, "Another question, whose socket must stay quiet: what is a GIN index?");
        await WaitForAnswersAsync(api, otherId, 3);
        await using var other = await LiveClient.ConnectAsync(app.Address, $"topics=question:{otherId}");
        var questionId = await AskAsync(api, watched);
        await using var watcher = await LiveClient.ConnectAsync(app.Address, $"topics=question:{questionId}");

        var clock = Stopwatch.StartNew();
        watching.SetResult();
        var frames = await StreamingAssertions.UntilSavedAsync(watcher, slots: 3);
        var writing = clock.Elapsed;

        StreamingAssertions.DeltasGrowToTheSavedText(frames, slots: 3, minDeltasPerSlot: 2);
        var perSlot = Enumerable.Range(0, 3).Select(slot => StreamingAssertions.Deltas(frames, slot).Count()).ToArray();
        // At most the first piece, one per 100 ms of writing, and the final text; and far fewer than the 21 chunks.
        var chunks = Text.Split(' ').Length;
        Assert.That(perSlot, Is.All.LessThanOrEqualTo(2 + (int)(writing / TimeSpan.FromMilliseconds(100))), $"rate-bounded over {writing}");
        Assert.That(perSlot, Is.All.LessThan(chunks), "not one delta per chunk");
        Assert.That(StreamingAssertions.Created(frames).Select(f => f.GetProperty("answer").GetProperty("text").GetString()), Is.All.EqualTo(Text));
        Assert.That(fake.StreamedCount, Is.EqualTo(fake.RequestCount), "every request asked for a stream");
        await StreamingAssertions.AssertNoDeltasAsync(other);
    }

    [Test]
    public async Task LlmApiProvider_SendsNoDeltas_AndItsAnswersAreSavedAsBefore()
    {
        await using var fake = await FakeModel.StartAsync(FakeProtocol.LlmApi);
        await using var app = await QaApp.StartAsync(FastWorker(fake));
        using var api = new ApiClient(app.CreateClient());
        using var redis = await RedisAsync(app);

        var questionId = await AskAsync(api, "Is a non-streaming model shown while it writes?");
        await WaitForAnswersAsync(api, questionId, 3);

        Assert.That(await redis.GetDatabase().KeyExistsAsync(app.KeyPrefix + "qa:live"), Is.False, "nothing was published to qa:live");
    }

    [Test]
    public async Task DeltaPublishing_WithRedisUnreachable_NeitherThrowsNorWaits()
    {
        var port = await Servers.FreePortAsync();
        var options = ConfigurationOptions.Parse($"127.0.0.1:{port}");
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ConnectTimeout = 200;
        await using var down = await ConnectionMultiplexer.ConnectAsync(options);
        var deltas = new AnswerDeltas(down, new RedisKeys(Options.Create(new RedisOptions())), Options.Create(new RedisOptions()),
            Options.Create(new LlmOptions { DeltaInterval = TimeSpan.FromMilliseconds(10) }), TimeProvider.System, NullLogger<AnswerDeltas>.Instance);
        var slot = deltas.For(new QuestionToAnswer(1, 1, "Databases", "?"), 0);

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 200; i++)
        {
            slot.Final($"text {i}");
        }

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromMilliseconds(500)), "200 deltas to a dead Redis cost next to nothing");
        Assert.That(deltas.Published + deltas.Dropped, Is.EqualTo(200));
    }
}
