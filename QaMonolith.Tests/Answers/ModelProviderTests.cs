using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using QaMonolith.Answers;

namespace QaMonolith.Tests.Answers;

/// <summary>
/// Both HTTP providers as the module builds them, against protocol fakes: what they send, and how the resilience
/// pipeline treats each kind of failure.
/// </summary>
public sealed class ModelProviderTests
{
    private static readonly QuestionToAnswer Question = new(41, 3, "Databases", "What does MVCC give a reader?");

    private static readonly FakeProtocol[] Protocols = [FakeProtocol.ChatCompletions, FakeProtocol.LlmApi];

    [Test]
    public async Task OpenAI_SendsTheModel_ASystemMessageNamingTheCourse_AndTheQuestion_OneRequestPerAnswer()
    {
        await using var fake = await FakeModel.StartAsync(FakeProtocol.ChatCompletions);
        fake.Respond = (_, _) => Task.FromResult(new ModelReply(Text: "Readers see a snapshot and never wait for writers."));
        var writer = Writer(fake, o => { o.Model = "llama-test"; o.Temperature = 0.25f; o.MaxTokens = 321; });

        var plan = await writer.PlanAsync(Question, CancellationToken.None);
        var drafts = await Task.WhenAll(Enumerable.Range(0, plan.Slots).Select(slot => plan.WriteAsync(slot, CancellationToken.None)));

        var body = fake.Requests[0].Body;
        var messages = body.GetProperty("messages").EnumerateArray().ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(plan.Slots, Is.EqualTo(3));
            Assert.That(fake.RequestCount, Is.EqualTo(3), "each answer its own request, for servers without n");
            Assert.That(fake.Requests.Select(r => r.Path), Is.All.EqualTo("/v1/chat/completions"));
            Assert.That(body.GetProperty("model").GetString(), Is.EqualTo("llama-test"));
            Assert.That(body.GetProperty("temperature").GetDouble(), Is.EqualTo(0.25).Within(0.001));
            Assert.That(MaxTokens(body), Is.EqualTo(321));
            Assert.That(messages[0].GetProperty("role").GetString(), Is.EqualTo("system"));
            Assert.That(messages[0].GetProperty("content").GetString(), Does.Contain("\"Databases\""));
            Assert.That(messages[^1].GetProperty("role").GetString(), Is.EqualTo("user"));
            Assert.That(messages[^1].GetProperty("content").GetString(), Is.EqualTo("What does MVCC give a reader?"));
            Assert.That(drafts.Select(d => d.Text), Is.All.EqualTo("Readers see a snapshot and never wait for writers."));
            Assert.That(drafts.Select(d => d.Model), Is.All.EqualTo("llama-test"));
        });
    }

    [Test]
    public async Task LlmApi_PostsTheQuestionNamingTheCourse_AndStripsTheEchoedPrompt()
    {
        await using var fake = await FakeModel.StartAsync(FakeProtocol.LlmApi);
        fake.Respond = (_, _) => Task.FromResult(new ModelReply(Text: "A consistent snapshot."));
        var writer = Writer(fake, o => o.Model = "course-llm");

        var draft = await (await writer.PlanAsync(Question, CancellationToken.None)).WriteAsync(0, CancellationToken.None);

        var body = fake.Requests[0].Body;
        Assert.Multiple(() =>
        {
            Assert.That(body.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "question" }));
            Assert.That(body.GetProperty("question").GetString(), Does.Contain("Databases").And.EndsWith("What does MVCC give a reader?"));
            Assert.That(draft.Text, Is.EqualTo("A consistent snapshot."), "the echoed prompt is stripped");
            Assert.That(draft.Model, Is.EqualTo("course-llm"));
        });
    }

    [TestCaseSource(nameof(Protocols))]
    public async Task ServerUnavailableTwice_IsRetried_ThenAnswers(FakeProtocol protocol)
    {
        await using var fake = await FakeModel.StartAsync(protocol);
        fake.Respond = (r, _) => Task.FromResult(r.Number <= 2 ? ModelReply.Error(503) : new ModelReply(Text: "Third time lucky."));

        var draft = await WriteOneAsync(Writer(fake));

        Assert.That(draft.Text, Is.EqualTo("Third time lucky."));
        Assert.That(fake.RequestCount, Is.EqualTo(3));
    }

    [TestCaseSource(nameof(Protocols))]
    public async Task TooManyRequests_IsRetriedAfterTheServersRetryAfter(FakeProtocol protocol)
    {
        await using var fake = await FakeModel.StartAsync(protocol);
        fake.Respond = (r, _) => Task.FromResult(r.Number == 1 ? ModelReply.Error(429, TimeSpan.FromSeconds(1)) : new ModelReply(Text: "Patience pays."));

        var draft = await WriteOneAsync(Writer(fake));

        var requests = fake.Requests;
        Assert.That(draft.Text, Is.EqualTo("Patience pays."));
        Assert.That(requests, Has.Count.EqualTo(2));
        Assert.That(requests[1].ReceivedAt - requests[0].ReceivedAt, Is.GreaterThan(TimeSpan.FromMilliseconds(900)),
            "Retry-After: 1 wins over the 20 ms back-off");
    }

    [TestCaseSource(nameof(Protocols))]
    public async Task BadRequest_IsNotRetried_AndFailsAsNotTransient(FakeProtocol protocol)
    {
        await using var fake = await FakeModel.StartAsync(protocol);
        fake.Respond = (_, _) => Task.FromResult(ModelReply.Error(400));

        var error = await Assert.ThrowsAsync<ModelCallException>(() => WriteOneAsync(Writer(fake)));

        Assert.That(error!.Transient, Is.False);
        Assert.That(error.Message, Does.Contain("400"));
        Assert.That(fake.RequestCount, Is.EqualTo(1));
        Assert.That(Failures.IsOutage(error), Is.False, "the entry, not the model, is to blame: it spends a delivery");
    }

    [TestCaseSource(nameof(Protocols))]
    public async Task ServerDown_OpensTheCircuit_SoCallsFailFastWithoutReachingIt(FakeProtocol protocol)
    {
        await using var fake = await FakeModel.StartAsync(protocol);
        fake.Respond = (_, _) => Task.FromResult(ModelReply.Error(503));
        var writer = Writer(fake, o => o.MaxRetries = 0);

        for (var call = 0; call < 4; call++)
        {
            await Assert.ThrowsAsync<ModelCallException>(() => WriteOneAsync(writer));
        }

        var reached = fake.RequestCount;
        var broken = await Assert.ThrowsAsync<BrokenCircuitException>(() => WriteOneAsync(writer));
        Assert.That(fake.RequestCount, Is.EqualTo(reached), "an open circuit does not call the server");
        Assert.That(Failures.IsOutage(broken!), Is.True, "an outage: the worker waits instead of spending deliveries");

        fake.Respond = (_, _) => Task.FromResult(new ModelReply(Text: "Back again."));
        await Task.Delay(TimeSpan.FromMilliseconds(600));
        Assert.That((await WriteOneAsync(writer)).Text, Is.EqualTo("Back again."), "half-open after BreakDuration, closed on success");
    }

    [TestCaseSource(nameof(Protocols))]
    public async Task EmptyOutput_IsAFailedAttempt_AndRetried(FakeProtocol protocol)
    {
        await using var fake = await FakeModel.StartAsync(protocol);
        fake.Respond = (r, _) => Task.FromResult(new ModelReply(Text: r.Number == 1 ? "  \n " : "Not empty."));

        var draft = await WriteOneAsync(Writer(fake));

        Assert.That(draft.Text, Is.EqualTo("Not empty."));
        Assert.That(fake.RequestCount, Is.EqualTo(2));
    }

    [Test]
    public async Task EmptyOutputEveryTime_FailsTheAnswer_AsNotAnOutage()
    {
        await using var fake = await FakeModel.StartAsync(FakeProtocol.ChatCompletions);
        fake.Respond = (_, _) => Task.FromResult(new ModelReply(Text: ""));

        var error = await Assert.ThrowsAsync<EmptyModelOutputException>(() => WriteOneAsync(Writer(fake, o => o.MaxRetries = 2)));

        Assert.That(fake.RequestCount, Is.EqualTo(3));
        Assert.That(Failures.IsOutage(error!), Is.False);
    }

    [Test]
    public async Task OutputLongerThanTheLimit_IsCutAtAWordBoundary()
    {
        await using var fake = await FakeModel.StartAsync(FakeProtocol.ChatCompletions);
        var words = string.Join(' ', Enumerable.Range(0, 2000).Select(i => $"word{i}"));
        fake.Respond = (_, _) => Task.FromResult(new ModelReply(Text: words));

        var draft = await WriteOneAsync(Writer(fake, o => o.MaxAnswerLength = 4000));

        Assert.That(draft.Text, Has.Length.LessThanOrEqualTo(4000).And.Length.GreaterThan(3900));
        Assert.That(draft.Text, Does.EndWith("…"));
        Assert.That(words, Does.StartWith(draft.Text.TrimEnd('…') + " "), "whole words only");
    }

    [Test]
    public async Task ConnectionRefused_IsTransient_RetriedThenAnOutage()
    {
        var port = await Infrastructure.Servers.FreePortAsync();
        var writer = Writer(LlmProvider.OpenAI, new Uri($"http://127.0.0.1:{port}/v1"), o => o.MaxRetries = 1);

        var error = await Assert.CatchAsync(() => WriteOneAsync(writer));

        Assert.That(Failures.IsOutage(error!), Is.True, $"{error!.GetType().Name}: {error.Message}");
    }

    private static async Task<Draft> WriteOneAsync(IAnswerWriter writer) =>
        await (await writer.PlanAsync(Question, CancellationToken.None)).WriteAsync(0, CancellationToken.None);

    private static IAnswerWriter Writer(FakeModel fake, Action<LlmOptions>? configure = null) =>
        Writer(fake.Protocol == FakeProtocol.ChatCompletions ? LlmProvider.OpenAI : LlmProvider.LlmApi, fake.Endpoint, configure);

    private static IAnswerWriter Writer(LlmProvider provider, Uri endpoint, Action<LlmOptions>? configure)
    {
        var options = new LlmOptions
        {
            Provider = provider,
            Endpoint = endpoint,
            Model = "fake-model",
            RetryDelay = TimeSpan.FromMilliseconds(20),
            BreakDuration = TimeSpan.FromMilliseconds(500),
            Timeout = TimeSpan.FromSeconds(5),
        };
        configure?.Invoke(options);
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(TimeProvider.System)
            .AddSingleton(Options.Create(options))
            .BuildServiceProvider();
        return AnswersModule.CreateWriter(services);
    }

    private static int MaxTokens(JsonElement body) =>
        (body.TryGetProperty("max_completion_tokens", out var tokens) || body.TryGetProperty("max_tokens", out tokens)) ? tokens.GetInt32() : -1;
}
