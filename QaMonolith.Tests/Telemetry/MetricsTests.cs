using Dapper;
using Npgsql;
using QaMonolith.Tests.Answers;
using QaMonolith.Tests.Infrastructure;
using StackExchange.Redis;
using static QaMonolith.Tests.Answers.AnswersKit;

namespace QaMonolith.Tests.Telemetry;

/// <summary>GET /metrics as Prometheus scrapes it, after the app did something worth counting.</summary>
public sealed class MetricsTests
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(20);

    private static Dictionary<string, string?> Fast(Dictionary<string, string?> settings) =>
        settings.With("Telemetry:GaugeInterval", "00:00:00.100");

    [Test]
    [CancelAfter(60_000)]
    public async Task AfterAQuestionIsAnswered_ShowsTheQuestion_ItsAnswersPerProvider_ModelCalls_TheGroupAndOutboxGauges_AndTheRequest()
    {
        await using var fake = await FakeModel.StartAsync(FakeProtocol.ChatCompletions);
        // The first call fails with a 500 and is retried: one failure and three successes.
        var failed = 0;
        fake.Respond = (request, _) => Task.FromResult(Interlocked.Exchange(ref failed, 1) == 0
            ? ModelReply.Error(500)
            : new ModelReply(Text: FakeModel.DefaultAnswer(request)));
        await using var app = await QaApp.StartAsync(Fast(FastWorker(fake)));
        using var api = new ApiClient(app.CreateClient());

        var questionId = await AskAsync(api, "Why does a hash join need memory?");
        await WaitForAnswersAsync(api, questionId, 3);

        // The group and outbox gauges are polled readings (Telemetry:GaugeInterval): wait for one taken after the
        // worker read and acked, not one from before its first read (no consumer yet, the entry still unread).
        var scrape = await WaitForAsync(api, s =>
            s.Value("qa_questions_pending", ("group", "answers")) == 0 && s.Value("qa_outbox_pending") == 0
            && s.Value("qa_answers_generated_total") == 3
            && s.Value("qa_questions_lag", ("group", "answers")) == 0 && s.Value("qa_questions_consumers", ("group", "answers")) >= 1);
        var generated = (("provider", "OpenAI"), ("model", "fake-model"));
        Assert.Multiple(() =>
        {
            Assert.That(scrape.Value("qa_questions_asked_total"), Is.EqualTo(1));
            Assert.That(scrape.Value("qa_answers_generated_total", generated.Item1, generated.Item2), Is.EqualTo(3));
            Assert.That(scrape.Value("qa_model_call_duration_seconds_count", ("provider", "OpenAI"), ("outcome", "success")), Is.EqualTo(3));
            Assert.That(scrape.Value("qa_model_call_duration_seconds_count", ("provider", "OpenAI"), ("outcome", "failure")), Is.EqualTo(1));
            Assert.That(scrape.Value("qa_model_call_failures_total", ("provider", "OpenAI"), ("error_type", "http_500")), Is.EqualTo(1));
            Assert.That(scrape.Value("qa_questions_lag", ("group", "answers")), Is.EqualTo(0));
            Assert.That(scrape.Value("qa_questions_pending", ("group", "answers")), Is.EqualTo(0));
            Assert.That(scrape.Value("qa_questions_consumers", ("group", "answers")), Is.GreaterThanOrEqualTo(1));
            Assert.That(scrape.Value("qa_questions_dead"), Is.EqualTo(0));
            Assert.That(scrape.Value("qa_outbox_pending"), Is.EqualTo(0));
            Assert.That(scrape.Value("http_server_request_duration_seconds_count",
                ("http_route", "/api/courses/{courseId}/questions"), ("http_request_method", "POST"), ("http_response_status_code", "201")), Is.EqualTo(1));
            Assert.That(scrape.Has("http_server_request_duration_seconds_bucket"), Is.True, "latency is a histogram");
            Assert.That(scrape.Value("qa_redis_connected"), Is.EqualTo(1));
            Assert.That(scrape.Value("qa_redis_operations_total"), Is.GreaterThan(0));
            Assert.That(scrape.Has("db_client_operation_duration_seconds_count"), Is.True, "Npgsql's own metrics");
            Assert.That(scrape.Has("dotnet_process_memory_working_set_bytes"), Is.True, "the runtime's metrics");
            Assert.That(scrape.Value("qa_live_connections"), Is.EqualTo(0));
            Assert.That(scrape.Value("qa_live_events_read_total"), Is.GreaterThanOrEqualTo(4), "question.created and three answer.created");
        });
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Offline_AnswersCarryItsProviderLabel_AndNoModelCallIsCounted()
    {
        await using var app = await QaApp.StartAsync(Fast([]));
        using var api = new ApiClient(app.CreateClient());

        var questionId = await AskAsync(api, "Which isolation level prevents phantom reads?");
        await WaitForAnswersAsync(api, questionId, 1);

        var scrape = await WaitForAsync(api, s => s.Value("qa_answers_generated_total") >= 1);
        Assert.Multiple(() =>
        {
            Assert.That(scrape.Value("qa_answers_generated_total", ("provider", "Offline"), ("model", "offline")), Is.EqualTo(1));
            Assert.That(scrape.Has("qa_model_call_duration_seconds_count"), Is.False, "Offline calls no model");
        });
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task WhileTheModelIsStuck_PendingAndLagCountTheWaitingEntries_ThenFallToZero()
    {
        await using var fake = await FakeModel.StartAsync(FakeProtocol.ChatCompletions);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fake.Respond = async (request, ct) =>
        {
            await release.Task.WaitAsync(ct);
            return new ModelReply(Text: FakeModel.DefaultAnswer(request));
        };
        // One question at a time: the first waits on the model, the other two wait unread in the stream.
        await using var app = await QaApp.StartAsync(Fast(FastWorker(fake).With("Llm:MaxConcurrency", "1").With("Answers:ClaimIdleTime", "00:00:30").With("Answers:ConsumerExpiry", "00:01:00")));
        using var api = new ApiClient(app.CreateClient());
        var ids = new List<long>();
        foreach (var text in new[] { "What is a covering index?", "When does a B-tree split?", "What does VACUUM reclaim?" })
        {
            ids.Add(await AskAsync(api, text));
        }

        var stuck = await WaitForAsync(api, s => s.Value("qa_questions_pending", ("group", "answers")) == 1 && s.Value("qa_questions_lag", ("group", "answers")) == 2);
        Assert.That(stuck.Value("qa_questions_asked_total"), Is.EqualTo(3));

        release.SetResult();
        foreach (var id in ids)
        {
            await WaitForAnswersAsync(api, id, 3);
        }

        var idle = await WaitForAsync(api, s => s.Value("qa_questions_pending", ("group", "answers")) == 0 && s.Value("qa_questions_lag", ("group", "answers")) == 0);
        Assert.That(idle.Value("qa_answers_generated_total"), Is.EqualTo(9));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task AnEntryThatFailsEveryDelivery_IsCountedAsDeadLettered()
    {
        await using var app = await QaApp.StartAsync(Fast(FastWorker()));
        using var api = new ApiClient(app.CreateClient());
        using var redis = await RedisAsync(app);
        await Eventually.TrueAsync(async () => (await Scrape.GetAsync(api.Http)).Has("qa_questions_pending"), Soon, "the worker's group");

        await redis.GetDatabase().StreamAddAsync(app.KeyPrefix + "qa:questions", [new("type", "question.asked"), new("data", "not json"), new("outboxId", 0)]);

        var scrape = await WaitForAsync(api, s => s.Value("qa_questions_dead_lettered_total") == 1 && s.Value("qa_questions_dead") == 1);
        Assert.That(scrape.Value("qa_questions_pending", ("group", "answers")), Is.EqualTo(0), "acked once dead-lettered");
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task WithRedisDown_MetricsStillServe_OutboxPendingCountsTheUnpublishedRows_AndTheGroupGaugesAreAbsent()
    {
        var port = await Servers.FreePortAsync();
        await using var app = await QaApp.StartAsync(Fast([]), redis: $"127.0.0.1:{port},connectTimeout=500", waitUntilReady: false);
        using var client = app.CreateClient();
        await Eventually.TrueAsync(async () => await OutboxExistsAsync(app), Soon, "the migrations");

        await using (var connection = new NpgsqlConnection(app.PostgresConnectionString))
        {
            await connection.ExecuteAsync("""
                insert into outbox (stream, type, data, created_at)
                select 'qa:events', 'question.created', '{}', now() - interval '1 minute' from generate_series(1, 5)
                """);
        }

        Scrape scrape = null!;
        await Eventually.TrueAsync(async () => (scrape = await Scrape.GetAsync(client)).Value("qa_outbox_pending") == 5, Soon, "qa_outbox_pending 5");
        Assert.Multiple(() =>
        {
            Assert.That(scrape.Value("qa_outbox_oldest_pending_age_seconds"), Is.GreaterThanOrEqualTo(60));
            Assert.That(scrape.Value("qa_redis_connected"), Is.EqualTo(0));
            Assert.That(scrape.Has("qa_questions_pending"), Is.False, "unknown while Redis is down, not a stale or made-up 0");
            Assert.That(scrape.Has("qa_questions_lag"), Is.False);
        });
    }

    private static async Task<Scrape> WaitForAsync(ApiClient api, Func<Scrape, bool> condition)
    {
        Scrape scrape = null!;
        try
        {
            await Eventually.TrueAsync(async () => condition(scrape = await Scrape.GetAsync(api.Http)), Soon, "the metrics");
        }
        catch (AssertionException)
        {
            TestContext.Out.WriteLine(scrape?.Text);
            throw;
        }

        return scrape;
    }

    private static async Task<bool> OutboxExistsAsync(QaApp app)
    {
        await using var connection = new NpgsqlConnection(app.PostgresConnectionString);
        return await connection.ExecuteScalarAsync<bool>("select exists (select 1 from information_schema.columns where table_name = 'outbox' and column_name = 'traceparent')");
    }
}
