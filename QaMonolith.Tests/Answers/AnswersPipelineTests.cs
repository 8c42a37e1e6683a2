using System.Text.Json;
using Dapper;
using Npgsql;
using QaMonolith.Tests.Infrastructure;
using StackExchange.Redis;
using static QaMonolith.Tests.Answers.AnswersKit;

namespace QaMonolith.Tests.Answers;

/// <summary>The whole path: POST a question → qa:questions → the worker → the model (a protocol fake) → answers and events.</summary>
public sealed class AnswersPipelineTests
{
    [Test]
    public async Task PostQuestion_GetsThreeModelAnswers_InSlots0To2_WithAuthorAndModel_AndThreeEvents()
    {
        await using var fake = await FakeModel.StartAsync(FakeProtocol.ChatCompletions);
        await using var app = await QaApp.StartAsync(FastWorker(fake));
        using var api = new ApiClient(app.CreateClient());
        using var redis = await RedisAsync(app);

        var questionId = await AskAsync(api, "What does a B-tree index buy a range query?");

        var answers = await WaitForAnswersAsync(api, questionId, 3);
        await Eventually.TrueAsync(async () => (await AnswerCreatedAsync(redis, app, questionId)).Count >= 3, Soon, "3 answer.created events");
        var events = await AnswerCreatedAsync(redis, app, questionId);
        var slots = await SlotsAsync(app, questionId);
        Assert.Multiple(() =>
        {
            Assert.That(answers, Has.Length.EqualTo(3));
            Assert.That(answers.Select(a => a.GetProperty("author").GetProperty("kind").GetString()), Is.All.EqualTo("llm"));
            Assert.That(answers.Select(a => a.GetProperty("author").GetProperty("model").GetString()), Is.All.EqualTo("fake-model"));
            Assert.That(answers.Select(a => a.GetProperty("text").GetString()), Is.All.Contains("What does a B-tree index buy a range query?"));
            Assert.That(slots.Select(s => s.Slot), Is.EqualTo(new[] { 0, 1, 2 }));
            Assert.That(events, Has.Count.EqualTo(3));
            Assert.That(events.Select(e => e.GetProperty("answer").GetProperty("id").GetInt64()),
                Is.EquivalentTo(answers.Select(a => a.GetProperty("id").GetInt64())));
            Assert.That(events.Select(e => e.GetProperty("courseId").GetInt64()), Is.All.EqualTo(3));
            Assert.That(fake.RequestCount, Is.EqualTo(3), "one request per answer");
        });
        var question = await api.GetJsonAsync($"/api/questions/{questionId}");
        Assert.That(question.GetProperty("answerCount").GetInt32(), Is.EqualTo(3));
        Assert.That(await OwedAsync(app, questionId), Is.False, "nothing owed once every slot is saved");
    }

    [Test]
    public async Task SameQuestionAskedDeliveredTwice_StillGetsExactlyThreeAnswers()
    {
        await using var fake = await FakeModel.StartAsync(FakeProtocol.ChatCompletions);
        await using var app = await QaApp.StartAsync(FastWorker(fake));
        using var api = new ApiClient(app.CreateClient());
        using var redis = await RedisAsync(app);
        var questionId = await AskAsync(api, "Is a serializable transaction ever aborted?");
        await WaitForAnswersAsync(api, questionId, 3);
        await Eventually.TrueAsync(async () => await GroupIsIdleAsync(redis, app), Soon, "the first entry acked");

        var db = redis.GetDatabase();
        var original = (await db.StreamRangeAsync(app.KeyPrefix + "qa:questions")).Single();
        await db.StreamAddAsync(app.KeyPrefix + "qa:questions", original.Values);
        await Eventually.TrueAsync(async () => await GroupIsIdleAsync(redis, app, entries: 2), Soon, "the redelivered entry acked");

        Assert.That(await SlotsAsync(app, questionId), Has.Count.EqualTo(3));
        await Eventually.TrueAsync(async () => (await AnswerCreatedAsync(redis, app, questionId)).Count >= 3, Soon, "3 answer.created events");
        Assert.That(await AnswerCreatedAsync(redis, app, questionId), Has.Count.EqualTo(3), "one event per answer, none twice");
        Assert.That(fake.RequestCount, Is.EqualTo(3), "the model is not asked again for saved slots");
    }

    /// <summary>
    /// Restarted under its old name, the worker drains its own pending entry at once; under another name (the old
    /// process is gone for good) the new one takes the entry over with XAUTOCLAIM once it has been idle long enough.
    /// </summary>
    [TestCase(null, TestName = "{m}(restarted under its own name)")]
    [TestCase("another-worker", TestName = "{m}(another worker takes over)")]
    [CancelAfter(60_000)]
    public async Task WorkerKilledAfterOneOfThreeAnswers_FreshWorkerSavesTheOtherTwo_WithoutAskingForTheSavedSlot(string? secondName)
    {
        await using var fake = await FakeModel.StartAsync(FakeProtocol.ChatCompletions);
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The first request is answered; the next two hang until the worker is gone.
        fake.Respond = async (request, ct) =>
        {
            if (request.Number > 1 && !hold.Task.IsCompleted)
            {
                await hold.Task.WaitAsync(ct);
            }

            return new ModelReply(Text: FakeModel.DefaultAnswer(request));
        };
        var database = await Servers.Postgres.CreateDatabaseAsync();
        var prefix = $"test:{Guid.NewGuid():N}:";
        long questionId;
        await using (var first = await QaApp.StartAsync(FastWorker(fake), postgres: database, keyPrefix: prefix))
        {
            using var api = new ApiClient(first.CreateClient());
            questionId = await AskAsync(api, "Why does a page fault not always read the disk?", courseId: 2);
            await Eventually.TrueAsync(async () => (await SlotsAsync(first, questionId)).Count == 1 && fake.RequestCount == 3, Soon,
                "one answer saved and two requests held");
        }

        var askedBefore = fake.RequestCount;
        hold.SetResult();
        await using var second = await QaApp.StartAsync(FastWorker(fake).With("Answers:ConsumerName", secondName), postgres: database, keyPrefix: prefix);
        using var api2 = new ApiClient(second.CreateClient());
        using var redis = await RedisAsync(second);

        var answers = await WaitForAnswersAsync(api2, questionId, 3);
        await Eventually.TrueAsync(async () => await GroupIsIdleAsync(redis, second), Soon, "the entry acked");
        // The relay publishes the last answer.created after its commit, so possibly after the ack.
        await Eventually.TrueAsync(async () => (await AnswerCreatedAsync(redis, second, questionId)).Count >= 3, Soon, "3 answer.created events");
        Assert.Multiple(async () =>
        {
            Assert.That(answers, Has.Length.EqualTo(3));
            Assert.That((await SlotsAsync(second, questionId)).Select(s => s.Slot), Is.EqualTo(new[] { 0, 1, 2 }));
            Assert.That(fake.RequestCount - askedBefore, Is.EqualTo(2), "only the two missing slots are asked for again");
            Assert.That(await AnswerCreatedAsync(redis, second, questionId), Has.Count.EqualTo(3), "one event per answer, none twice");
        });
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Shutdown_LetsAQuestionInProgressFinish_WithinShutdownDrain()
    {
        await using var fake = await FakeModel.StartAsync(FakeProtocol.ChatCompletions);
        fake.Respond = async (request, ct) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(400), ct);
            return new ModelReply(Text: FakeModel.DefaultAnswer(request));
        };
        var database = await Servers.Postgres.CreateDatabaseAsync();
        var prefix = $"test:{Guid.NewGuid():N}:";
        var app = await QaApp.StartAsync(FastWorker(fake).With("Answers:ShutdownDrain", "00:00:10"), postgres: database, keyPrefix: prefix);
        long questionId;
        using (var api = new ApiClient(app.CreateClient()))
        {
            questionId = await AskAsync(api, "What is a context switch?", courseId: 2);
            await Eventually.TrueAsync(() => Task.FromResult(fake.RequestCount == 3), Soon, "the three requests sent");
        }

        await app.DisposeAsync();

        // Read without the app: what the stopped worker left behind.
        await using var observer = await QaApp.StartAsync(new Dictionary<string, string?> { ["Modules:Answers"] = "false" }, postgres: database, keyPrefix: prefix);
        using var redis = await RedisAsync(observer);
        Assert.That(await SlotsAsync(observer, questionId), Has.Count.EqualTo(3), "finished during shutdown");
        Assert.That(await GroupIsIdleAsync(redis, observer), Is.True, "and acked before the worker stopped");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task TwoWorkersOnOneGroup_TakeDistinctNames_AndAnswerEachQuestionOnce()
    {
        await using var fake = await FakeModel.StartAsync(FakeProtocol.ChatCompletions);
        var database = await Servers.Postgres.CreateDatabaseAsync();
        var prefix = $"test:{Guid.NewGuid():N}:";
        // Long enough that a busy machine's pause never looks like a dead worker here: takeover has its own test.
        var settings = FastWorker(fake).With("Answers:ClaimIdleTime", "00:00:10").With("Answers:ConsumerExpiry", "00:01:00");
        await using var first = await QaApp.StartAsync(settings, postgres: database, keyPrefix: prefix);
        await using var second = await QaApp.StartAsync(settings, postgres: database, keyPrefix: prefix);
        using var api = new ApiClient(first.CreateClient());
        using var redis = await RedisAsync(first);
        // Both workers must be in the group before the questions come; on a loaded machine the second may still be
        // opening its blocking connection when the host reports ready.
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                return (await redis.GetDatabase().StreamConsumerInfoAsync(prefix + "qa:questions", "answers")).Length == 2;
            }
            catch (RedisServerException)
            {
                return false; // no stream or group yet: the first worker has not made it
            }
        }, Soon, "both workers in the group");

        var questions = new List<long>();
        for (var i = 0; i < 12; i++)
        {
            questions.Add(await AskAsync(api, $"Question {i} about scheduling: what is priority inversion?", courseId: 2));
        }

        foreach (var id in questions)
        {
            await WaitForAnswersAsync(api, id, 3);
        }

        await Eventually.TrueAsync(async () => await GroupIsIdleAsync(redis, first), Soon, "every entry acked");
        var consumers = await redis.GetDatabase().StreamConsumerInfoAsync(prefix + "qa:questions", "answers");
        Assert.Multiple(async () =>
        {
            Assert.That(consumers.Select(c => c.Name.ToString()).ToArray(), Is.Unique.And.Length.EqualTo(2));
            Assert.That(fake.RequestCount, Is.EqualTo(36), "three requests per question, none twice");
            foreach (var id in questions)
            {
                Assert.That(await SlotsAsync(first, id), Has.Count.EqualTo(3));
            }
        });
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task PoisonEntries_EndInTheDeadStreamAfterMaxDeliveries_AndTheWorkerKeepsServing()
    {
        await using var fake = await FakeModel.StartAsync(FakeProtocol.ChatCompletions);
        await using var app = await QaApp.StartAsync(FastWorker(fake));
        using var api = new ApiClient(app.CreateClient());
        using var redis = await RedisAsync(app);
        var db = redis.GetDatabase();
        var stream = app.KeyPrefix + "qa:questions";
        var missing = JsonSerializer.Serialize(new { questionId = 987654, courseId = 3, courseName = "Databases", text = "Gone?", askedAt = DateTime.UtcNow });
        var ghost = await db.StreamAddAsync(stream, [new("type", "question.asked"), new("data", missing), new("outboxId", 1)]);
        var garbage = await db.StreamAddAsync(stream, [new("type", "question.asked"), new("data", "{not json"), new("outboxId", 2)]);

        var questionId = await AskAsync(api, "What is a covering index?");
        await WaitForAnswersAsync(api, questionId, 3);

        List<StreamEntry> dead = [];
        await Eventually.TrueAsync(async () => (dead = [.. await db.StreamRangeAsync(app.KeyPrefix + "qa:questions:dead")]).Count == 2,
            TimeSpan.FromSeconds(20), "both poison entries dead-lettered");
        Assert.Multiple(() =>
        {
            Assert.That(dead.Select(e => e["entryId"].ToString()), Is.EquivalentTo(new[] { ghost.ToString(), garbage.ToString() }));
            Assert.That(dead.Select(e => (int)e["attempts"]), Is.All.EqualTo(3));
            Assert.That(dead.Single(e => e["entryId"] == ghost)["error"].ToString(), Does.Contain("987654 does not exist"));
            Assert.That(dead.Single(e => e["entryId"] == garbage)["error"].ToString(), Does.Contain("not JSON"));
            Assert.That(dead.Single(e => e["entryId"] == garbage)["data"].ToString(), Is.EqualTo("{not json"), "the entry itself is kept");
        });
        await Eventually.TrueAsync(async () => await GroupIsIdleAsync(redis, app), Soon, "nothing left pending");

        var next = await AskAsync(api, "And what is an index-only scan?");
        Assert.That(await WaitForAnswersAsync(api, next, 3), Has.Length.EqualTo(3), "the worker still serves new questions");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task ModelDownForAWhile_AnswersArriveAfterItRecovers_AndNothingIsDeadLettered()
    {
        await using var fake = await FakeModel.StartAsync(FakeProtocol.ChatCompletions);
        var down = true;
        fake.Respond = (request, _) => Task.FromResult(Volatile.Read(ref down) ? ModelReply.Error(503) : new ModelReply(Text: FakeModel.DefaultAnswer(request)));
        await using var app = await QaApp.StartAsync(FastWorker(fake));
        using var api = new ApiClient(app.CreateClient());
        using var redis = await RedisAsync(app);

        var questions = new[]
        {
            await AskAsync(api, "What is thrashing?", courseId: 2),
            await AskAsync(api, "What is a TLB shootdown?", courseId: 2),
        };
        // Well past MaxDeliveries × ClaimIdleTime: an outage must not spend the entries' deliveries.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.That(await AnswersAsync(api, questions[0]), Is.Empty);
        var failedCalls = fake.RequestCount;
        Volatile.Write(ref down, false);

        foreach (var id in questions)
        {
            Assert.That(await WaitForAnswersAsync(api, id, 3), Has.Length.EqualTo(3));
        }

        await Eventually.TrueAsync(async () => (await AnswerCreatedAsync(redis, app, questions[1])).Count == 3, Soon, "the events of the answers");
        Assert.Multiple(async () =>
        {
            Assert.That(failedCalls, Is.GreaterThan(2), "the model was called and failed during the outage");
            Assert.That(await redis.GetDatabase().StreamLengthAsync(app.KeyPrefix + "qa:questions:dead"), Is.Zero);
        });
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task QuestionWhoseStreamEntryWasDeleted_IsFoundByTheSweep_AndAnswered()
    {
        await using var fake = await FakeModel.StartAsync(FakeProtocol.ChatCompletions);
        var settings = FastWorker(fake).With("Answers:SweepInterval", "00:00:00.300").With("Answers:SweepMinAge", "00:00:01");
        // No worker first, so the entry can be deleted before anyone reads it.
        var database = await Servers.Postgres.CreateDatabaseAsync();
        var prefix = $"test:{Guid.NewGuid():N}:";
        long questionId;
        await using (var apiOnly = await QaApp.StartAsync(new Dictionary<string, string?>(settings) { ["Modules:Answers"] = "false" }, postgres: database, keyPrefix: prefix))
        {
            using var api = new ApiClient(apiOnly.CreateClient());
            using var redis = await RedisAsync(apiOnly);
            questionId = await AskAsync(api, "Why is TCP slow start exponential?", courseId: 4);
            var stream = prefix + "qa:questions";
            await Eventually.TrueAsync(async () => await redis.GetDatabase().StreamLengthAsync(stream) == 1, Soon, "the entry published");
            var entry = (await redis.GetDatabase().StreamRangeAsync(stream)).Single();
            await redis.GetDatabase().StreamDeleteAsync(stream, [entry.Id]);
        }

        await using var app = await QaApp.StartAsync(settings, postgres: database, keyPrefix: prefix);
        using var api2 = new ApiClient(app.CreateClient());
        Assert.That(await WaitForAnswersAsync(api2, questionId, 3), Has.Length.EqualTo(3));
        Assert.That(await SlotsAsync(app, questionId), Has.Count.EqualTo(3));
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task RedisRestartedEmpty_WorkerRecreatesItsGroup_AndQuestionsAskedMeanwhileAreAnswered()
    {
        await using var fake = await FakeModel.StartAsync(FakeProtocol.ChatCompletions);
        await using var server = await RedisServer.StartAsync();
        var settings = FastWorker(fake).With("Answers:SweepInterval", "00:00:00.300").With("Answers:SweepMinAge", "00:00:01");
        await using var app = await QaApp.StartAsync(settings, redis: server.ConnectionString + ",connectTimeout=500");
        using var api = new ApiClient(app.CreateClient());
        var before = await AskAsync(api, "What is a routing loop?", courseId: 4);
        await WaitForAnswersAsync(api, before, 3);

        await server.StopAsync();
        var during = await AskAsync(api, "What does TTL stop?", courseId: 4);
        await server.StartAsync();

        Assert.That(await WaitForAnswersAsync(api, during, 3, TimeSpan.FromSeconds(40)), Has.Length.EqualTo(3));
        Assert.That(await SlotsAsync(app, before), Has.Count.EqualTo(3), "nothing asked twice for the earlier question");
        Assert.That(fake.RequestCount, Is.EqualTo(6));
    }

    [Test]
    public async Task Restarts_ReuseTheConsumerName_SoTheGroupKeepsOneConsumer()
    {
        var database = await Servers.Postgres.CreateDatabaseAsync();
        var prefix = $"test:{Guid.NewGuid():N}:";
        var names = new List<string>();
        for (var start = 0; start < 3; start++)
        {
            await using var app = await QaApp.StartAsync(FastWorker(), postgres: database, keyPrefix: prefix);
            using var api = new ApiClient(app.CreateClient());
            var questionId = await AskAsync(api, $"Restart {start}: what is a deadlock?", courseId: 2);
            await WaitForAnswersAsync(api, questionId, 1);
            using var redis = await RedisAsync(app);
            var consumers = await redis.GetDatabase().StreamConsumerInfoAsync(prefix + "qa:questions", "answers");
            names.AddRange(consumers.Select(c => c.Name.ToString()));
            Assert.That(consumers, Has.Length.EqualTo(1), string.Join(",", consumers.Select(c => c.Name)));
        }

        Assert.That(names.Distinct(), Has.Exactly(1).Items, "a restarted process takes its old name back");
    }

    /// <summary>Every entry of qa:questions delivered and acked.</summary>
    private static async Task<bool> GroupIsIdleAsync(IConnectionMultiplexer redis, QaApp app, int? entries = null)
    {
        var key = app.KeyPrefix + "qa:questions";
        var group = (await redis.GetDatabase().StreamGroupInfoAsync(key)).Single(g => g.Name == "answers");
        return group.PendingMessageCount == 0 && group.Lag == 0 && (entries is null || group.EntriesRead >= entries);
    }
}
