using System.Net;
using System.Text.Json;
using Dapper;
using Npgsql;
using QaMonolith.Tests.Answers;
using QaMonolith.Tests.Infrastructure;
using QaMonolith.Tests.Live;
using StackExchange.Redis;

namespace QaMonolith.Tests.Deploy;

/// <summary>
/// The modules split across real processes of the published app (the Dockerfile's build, replayed), on one
/// PostgreSQL and one Redis, talking only through the streams: what a deployment with a pod per role does.
/// </summary>
[NonParallelizable]
public sealed class SplitProcessTests
{
    private const long Course = 3;

    private FakeModel _model = null!;
    private BuiltImage _image = null!;
    private string _database = null!;
    private string _prefix = null!;
    private readonly List<AppProcess> _processes = [];

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _model = await FakeModel.StartAsync(FakeProtocol.ChatCompletions);
        _image = await ImageBuild.ImageAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _model.DisposeAsync();

    [SetUp]
    public async Task NewDeploymentAsync()
    {
        _database = await Servers.Postgres.CreateDatabaseAsync();
        _prefix = $"split:{Guid.NewGuid():N}:";
        _model.Respond = (r, _) => Task.FromResult(new ModelReply(Text: FakeModel.DefaultAnswer(r)));
    }

    [TearDown]
    public async Task KillAllAsync()
    {
        foreach (var process in _processes)
        {
            if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
            {
                await TestContext.Out.WriteLineAsync($"--- {process.Name} ---\n{process.Output}");
            }

            await process.DisposeAsync();
        }

        _processes.Clear();
    }

    [Test]
    [CancelAfter(300_000)]
    public async Task ApiWeb_Answers_Live_AsThreeProcesses_AnswerAQuestion_AndTellTheSocket()
    {
        var api = await StartAsync("api+web", "Api", "Web");
        var answers = await StartAsync("answers", "Answers");
        var live = await StartAsync("live", "Live");

        // Each process serves only its own modules, and every one of them reports its health.
        Assert.That((await api.Http.GetAsync("/api/courses")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await api.Http.GetAsync("/")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await answers.Http.GetAsync("/api/courses")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await answers.Http.GetAsync("/")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await live.Http.GetAsync("/api/courses")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await LiveClient.RefusedStatusAsync(api.Http.BaseAddress!, "topics=course:3"), Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(answers.Output, Does.Contain("QaMonolith modules enabled: Answers").And.Not.Contain("Answers, Live"));

        // Watching the question before it is asked (nothing else asks in this database), so its deltas are seen too.
        var expected = await StreamingAssertions.NextQuestionIdAsync(_database);
        await using var socket = await LiveClient.ConnectAsync(live.Http.BaseAddress!, $"topics=course:{Course},question:{expected}");
        using var client = new ApiClient(api.Http);
        var question = await client.AskAsync(Course, "Why does a B-tree stay shallow?", ApiClient.NewUser());
        var id = question.GetProperty("id").GetInt64();
        Assert.That(id, Is.EqualTo(expected));

        var created = await socket.NextAsync(TimeSpan.FromSeconds(30));
        Assert.That(created.GetProperty("type").GetString(), Is.EqualTo("question.created"));
        Assert.That(created.GetProperty("question").GetProperty("id").GetInt64(), Is.EqualTo(id));

        // The answers process streams each answer over qa:live and saves it through the outbox: both reach this socket.
        var frames = await StreamingAssertions.UntilSavedAsync(socket, 3);
        var events = StreamingAssertions.Created(frames).ToList();
        Assert.That(events.Select(e => e.GetProperty("answer").GetProperty("author").GetProperty("model").GetString()), Is.All.EqualTo("fake-answers"));
        StreamingAssertions.DeltasGrowToTheSavedText(frames, slots: 3, minDeltasPerSlot: 1);

        var saved = await client.GetJsonAsync($"/api/questions/{id}/answers");
        Assert.That(saved.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("id").GetInt64()),
            Is.EquivalentTo(events.Select(e => e.GetProperty("answer").GetProperty("id").GetInt64())));
        Assert.That(_model.Requests.Select(r => r.Prompt), Is.All.EqualTo("Why does a B-tree stay shallow?"));
    }

    [Test]
    [CancelAfter(300_000)]
    public async Task TwoAnswersProcesses_ShareThirtyQuestions_AndOneKilledMidWayLosesNone()
    {
        // Slow enough that 30 questions take seconds, so the kill lands while both are busy.
        _model.Respond = async (r, ct) =>
        {
            await Task.Delay(400, ct);
            return new ModelReply(Text: FakeModel.DefaultAnswer(r));
        };
        var api = await StartAsync("api", "Api");
        var first = await StartAsync("answers-a", ["Answers"], ("Llm__Model", "fake-a"));
        var second = await StartAsync("answers-b", ["Answers"], ("Llm__Model", "fake-b"));

        using var client = new ApiClient(api.Http);
        var ids = new List<long>();
        for (var i = 0; i < 30; i++)
        {
            ids.Add((await client.AskAsync(Course, $"Question {i} about query plans", ApiClient.NewUser())).GetProperty("id").GetInt64());
        }

        await using var db = new NpgsqlConnection(_database);
        await Eventually.TrueAsync(async () => await AnsweredByAsync(db, "fake-a") >= 6 && await AnsweredByAsync(db, "fake-b") >= 6,
            TimeSpan.FromSeconds(60), "both processes to have answered some questions");
        await first.KillAsync();
        var completeAtKill = await CompleteQuestionsAsync(db, ids);
        Assert.That(completeAtKill, Is.LessThan(30), "the kill came after all the work was done; it proves nothing");

        await Eventually.TrueAsync(async () => await CompleteQuestionsAsync(db, ids) == 30, TimeSpan.FromSeconds(90),
            "every question to have its three answers after one worker was killed");

        var slots = (await db.QueryAsync<(long QuestionId, int Slot)>(
            "select question_id, llm_slot from answers where llm_slot is not null order by question_id, llm_slot")).ToList();
        Assert.That(slots, Has.Count.EqualTo(90), "a question was answered more than once, or not at all");
        Assert.That(slots.GroupBy(s => s.QuestionId).Select(g => g.Select(s => s.Slot)), Has.All.EquivalentTo(new[] { 0, 1, 2 }));
        Assert.That(await AnsweredByAsync(db, "fake-a"), Is.GreaterThan(0));
        Assert.That(await AnsweredByAsync(db, "fake-b"), Is.GreaterThan(0));

        // One answer.created per saved answer reached the events stream, none twice, and nothing was dead-lettered.
        using var redis = await ConnectionMultiplexer.ConnectAsync(Servers.Redis.ConnectionString);
        var entries = await redis.GetDatabase().StreamRangeAsync(_prefix + "qa:events");
        var announced = entries.Where(e => e["type"] == "answer.created")
            .Select(e => JsonDocument.Parse(e["data"].ToString()).RootElement.GetProperty("answer").GetProperty("id").GetInt64()).ToList();
        Assert.That(announced, Has.Count.EqualTo(90).And.Unique);
        Assert.That(await redis.GetDatabase().StreamLengthAsync(_prefix + "qa:questions:dead"), Is.Zero);
        Assert.That(second.HasExited, Is.False);
    }

    private static Task<int> AnsweredByAsync(NpgsqlConnection db, string model) =>
        db.ExecuteScalarAsync<int>("select count(*) from answers where llm_model = @model", new { model });

    private static Task<int> CompleteQuestionsAsync(NpgsqlConnection db, List<long> ids) =>
        db.ExecuteScalarAsync<int>(
            "select count(*) from (select question_id from answers where question_id = any(@ids) and llm_slot is not null group by question_id having count(*) = 3) c",
            new { ids });

    private Task<AppProcess> StartAsync(string name, params string[] modules) => StartAsync(name, modules, ("Llm__Model", "fake-answers"));

    /// <summary>A process of the published app with only <paramref name="modules"/> enabled, on this test's database and key prefix.</summary>
    private async Task<AppProcess> StartAsync(string name, string[] modules, params (string Key, string Value)[] extra)
    {
        var env = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = _database,
            ["ConnectionStrings__Redis"] = Servers.Redis.ConnectionString,
            ["Redis__KeyPrefix"] = _prefix,
            ["RateLimits__PerIpPerMinute"] = "0",
            ["Answers__ClaimIdleTime"] = "00:00:01",
            ["Answers__ConsumerExpiry"] = "00:00:02",
            ["Llm__MaxConcurrency"] = "2",
        };
        foreach (var (key, value) in _model.Settings())
        {
            env[key.Replace(":", "__", StringComparison.Ordinal)] = value!;
        }

        foreach (var module in new[] { "Api", "Answers", "Live", "Web" })
        {
            env[$"Modules__{module}"] = modules.Contains(module) ? "true" : "false";
        }

        foreach (var (key, value) in extra)
        {
            env[key] = value;
        }

        var process = await _image.StartAsync(env, name);
        _processes.Add(process);
        await process.WaitUntilReadyAsync();
        return process;
    }
}
