using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Dapper;
using Npgsql;
using QaMonolith.Tests.Infrastructure;
using static QaMonolith.Tests.Answers.AnswersKit;

namespace QaMonolith.Tests.Telemetry;

/// <summary>One question's path from the POST through the outbox, the stream and the worker to Live is one trace.</summary>
public sealed class TracingTests
{
    private const string HostingActivity = "Microsoft.AspNetCore.Hosting.HttpRequestIn";

    [Test]
    [CancelAfter(60_000)]
    public async Task OneQuestion_FromThePostThroughTheWorkerToLive_IsOneTrace()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Microsoft.AspNetCore" or "QaMonolith.Answers" or "QaMonolith.Live",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var app = await QaApp.StartAsync();
        using var api = new ApiClient(app.CreateClient());
        var (traceId, clientSpan) = (ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom());

        var questionId = await PostTracedAsync(api, traceId, clientSpan);
        await WaitForAnswersAsync(api, questionId, 1);

        var post = stopped.Single(a => a.OperationName == HostingActivity && a.TraceId == traceId);
        var worker = await Eventually.ValueAsync(() => Task.FromResult(stopped.FirstOrDefault(a => a.OperationName == "answers.question" && a.TraceId == traceId)),
            Soon, "the worker's activity");
        var live = await Eventually.ValueAsync(
            () => Task.FromResult(stopped.Count(a => a.OperationName == "live.deliver" && a.TraceId == traceId) >= 2 ? stopped : null),
            Soon, "Live's activities for question.created and answer.created");
        var rows = await OutboxAsync(app);
        Assert.Multiple(() =>
        {
            Assert.That(post.ParentSpanId, Is.EqualTo(clientSpan), "the POST continues the client's trace");
            Assert.That(rows["question.asked"], Is.EqualTo(Traceparent(traceId, post.SpanId)));
            Assert.That(rows["question.created"], Is.EqualTo(Traceparent(traceId, post.SpanId)));
            Assert.That(worker.Source.Name, Is.EqualTo("QaMonolith.Answers"));
            Assert.That(worker.ParentSpanId, Is.EqualTo(post.SpanId), "the worker continues from the question.asked entry");
            Assert.That(rows["answer.created"], Is.EqualTo(Traceparent(traceId, worker.SpanId)), "the answer's event carries the worker's span on");
            var delivered = live.Where(a => a.OperationName == "live.deliver" && a.TraceId == traceId).Select(a => a.ParentSpanId).ToList();
            Assert.That(delivered, Is.EquivalentTo(new[] { post.SpanId, worker.SpanId }), "Live continues both events' traces");
        });
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task WithNothingListening_TheTraceStillReachesTheAnswersEvent_AndTheStreamEntries()
    {
        await using var app = await QaApp.StartAsync();
        using var api = new ApiClient(app.CreateClient());
        using var redis = await RedisAsync(app);
        var (traceId, clientSpan) = (ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom());

        var questionId = await PostTracedAsync(api, traceId, clientSpan);
        await WaitForAnswersAsync(api, questionId, 1);
        await Eventually.TrueAsync(async () => (await AnswerCreatedAsync(redis, app, questionId)).Count >= 1, Soon, "answer.created on qa:events");

        var rows = await OutboxAsync(app);
        var entries = (await redis.GetDatabase().StreamRangeAsync(app.KeyPrefix + "qa:questions"))
            .Concat(await redis.GetDatabase().StreamRangeAsync(app.KeyPrefix + "qa:events"))
            .ToDictionary(e => (string)e["type"]!, e => (string?)e["traceparent"]);
        Assert.Multiple(() =>
        {
            Assert.That(rows.Values, Has.All.StartWith($"00-{traceId}-"), "every row of the question's path is in the client's trace");
            Assert.That(rows["answer.created"], Is.Not.EqualTo(rows["question.asked"]), "the worker's own span, not the POST's");
            Assert.That(entries, Is.EquivalentTo(rows), "the relay copies each row's traceparent into its entry");
        });
    }

    private static async Task<long> PostTracedAsync(ApiClient api, ActivityTraceId traceId, ActivitySpanId span)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/courses/2/questions")
        {
            Content = JsonContent.Create(new { text = "How does MVCC avoid read locks?" }),
        };
        request.Headers.Add("X-User-Id", ApiClient.NewUser().ToString());
        request.Headers.Add("traceparent", Traceparent(traceId, span));
        using var response = await api.Http.SendAsync(request);
        return (await ApiClient.ReadJsonAsync(response, HttpStatusCode.Created)).GetProperty("id").GetInt64();
    }

    private static string Traceparent(ActivityTraceId traceId, ActivitySpanId span) => $"00-{traceId}-{span}-01";

    /// <summary>The traceparent of each outbox row, by event type; the app's database holds one question's rows.</summary>
    private static async Task<Dictionary<string, string?>> OutboxAsync(QaApp app)
    {
        await using var connection = new NpgsqlConnection(app.PostgresConnectionString);
        var rows = await connection.QueryAsync<(string Type, string? Traceparent)>("select type, traceparent from outbox order by id");
        return rows.ToDictionary(r => r.Type, r => r.Traceparent);
    }
}
