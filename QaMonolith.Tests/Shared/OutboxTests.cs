using System.Net;
using System.Text.Json;
using Dapper;
using Npgsql;
using QaMonolith.Tests.Infrastructure;
using StackExchange.Redis;

namespace QaMonolith.Tests.Shared;

public sealed class OutboxTests
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);

    [Test]
    public async Task PostQuestion_PublishesAskedAndCreatedEntries()
    {
        await using var app = await QaApp.StartAsync();
        using var api = new ApiClient(app.CreateClient());
        await using var redis = await ConnectionMultiplexer.ConnectAsync(app.RedisConnectionString);

        var question = await api.AskAsync(3, "How does MVCC avoid read locks?");
        var id = question.GetProperty("id").GetInt64();

        var asked = await EntryAsync(redis, app.KeyPrefix + "qa:questions", "question.asked");
        var created = await EntryAsync(redis, app.KeyPrefix + "qa:events", "question.created");
        Assert.Multiple(() =>
        {
            Assert.That(asked.GetProperty("questionId").GetInt64(), Is.EqualTo(id));
            Assert.That(asked.GetProperty("courseId").GetInt64(), Is.EqualTo(3));
            Assert.That(asked.GetProperty("courseName").GetString(), Is.EqualTo("Databases"));
            Assert.That(asked.GetProperty("text").GetString(), Is.EqualTo("How does MVCC avoid read locks?"));
            Assert.That(created.GetProperty("courseId").GetInt64(), Is.EqualTo(3));
            Assert.That(created.GetProperty("question").GetProperty("id").GetInt64(), Is.EqualTo(id));
            Assert.That(created.GetProperty("question").GetProperty("text").GetString(), Is.EqualTo("How does MVCC avoid read locks?"));
        });
    }

    [Test]
    public async Task PostAnswer_PublishesAnswerCreatedWithCourseAndQuestion()
    {
        // No model answers: the user's answer.created must be the only one on the stream.
        await using var app = await QaApp.StartAsync(new Dictionary<string, string?> { ["Modules:Answers"] = "false" });
        using var api = new ApiClient(app.CreateClient());
        await using var redis = await ConnectionMultiplexer.ConnectAsync(app.RedisConnectionString);
        var question = await api.AskAsync(2, "What does the scheduler do on a page fault?");

        var answer = await api.AnswerAsync(question.GetProperty("id").GetInt64(), "It blocks the process until the page is in.");

        var created = await EntryAsync(redis, app.KeyPrefix + "qa:events", "answer.created");
        Assert.Multiple(() =>
        {
            Assert.That(created.GetProperty("courseId").GetInt64(), Is.EqualTo(2));
            Assert.That(created.GetProperty("questionId").GetInt64(), Is.EqualTo(question.GetProperty("id").GetInt64()));
            Assert.That(created.GetProperty("answer").GetProperty("id").GetInt64(), Is.EqualTo(answer.GetProperty("id").GetInt64()));
            Assert.That(created.GetProperty("answer").GetProperty("author").GetProperty("kind").GetString(), Is.EqualTo("user"));
        });
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Post_WhileRedisIsDown_Succeeds_AndEachOutboxRowIsPublishedOnceAfterRestart()
    {
        await using var server = await RedisServer.StartAsync();
        // No model answers: this test counts every entry the posts wrote, and the Answers module would add its own.
        await using var app = await QaApp.StartAsync(new Dictionary<string, string?> { ["Modules:Answers"] = "false" }, redis: server.ConnectionString + ",connectTimeout=500");
        using var api = new ApiClient(app.CreateClient());

        await server.StopAsync();
        var question = await api.AskAsync(1, "Is quicksort stable?");
        var questionId = question.GetProperty("id").GetInt64();
        await api.AnswerAsync(questionId, "Not in its usual in-place form.");
        using (var upvote = await api.VoteAsync("questions", questionId, ApiClient.NewUser()))
        {
            Assert.That(upvote.StatusCode, Is.EqualTo(HttpStatusCode.OK), "votes need only PostgreSQL");
        }

        await using (var connection = new NpgsqlConnection(app.PostgresConnectionString))
        {
            Assert.That(await connection.ExecuteScalarAsync<long>("select count(*) from outbox where published_at is null"), Is.EqualTo(3),
                "question.asked, question.created and answer.created wait in the outbox");
        }

        await server.StartAsync();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        await Eventually.TrueAsync(async () => await PendingAsync(app) == 0, TimeSpan.FromSeconds(30), "the relay to publish the outbox");

        var entries = (await redis.GetDatabase().StreamRangeAsync(app.KeyPrefix + "qa:events"))
            .Concat(await redis.GetDatabase().StreamRangeAsync(app.KeyPrefix + "qa:questions"))
            .ToList();
        var outboxIds = entries.Select(e => (long)e["outboxId"]).ToList();
        Assert.That(outboxIds, Has.Count.EqualTo(3));
        Assert.That(outboxIds, Is.Unique);
        Assert.That(entries.Select(e => (string?)e["type"]), Is.EquivalentTo(new[] { "question.asked", "question.created", "answer.created" }));
    }

    private static async Task<long> PendingAsync(QaApp app)
    {
        await using var connection = new NpgsqlConnection(app.PostgresConnectionString);
        return await connection.ExecuteScalarAsync<long>("select count(*) from outbox where published_at is null");
    }

    /// <summary>Waits for the one entry of <paramref name="type"/> on the stream and returns its data.</summary>
    private static async Task<JsonElement> EntryAsync(IConnectionMultiplexer redis, string stream, string type)
    {
        StreamEntry[] found = [];
        await Eventually.TrueAsync(async () =>
        {
            found = [.. (await redis.GetDatabase().StreamRangeAsync(stream)).Where(e => e["type"] == type)];
            return found.Length > 0;
        }, Soon, $"{type} on {stream}");
        Assert.That(found, Has.Length.EqualTo(1));
        Assert.That((long)found[0]["outboxId"], Is.Positive);
        return JsonDocument.Parse((string)found[0]["data"]!).RootElement.Clone();
    }
}
