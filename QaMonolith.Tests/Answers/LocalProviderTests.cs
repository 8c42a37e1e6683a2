using QaMonolith.Answers;
using QaMonolith.Tests.Infrastructure;
using QaMonolith.Tests.Live;
using static QaMonolith.Tests.Answers.AnswersKit;

namespace QaMonolith.Tests.Answers;

/// <summary>
/// Llm:Provider=Local for real, through the API and the worker: the fixture writes its tiny next-byte GGUF once and
/// starts one app on it. Greedy sampling makes the text exact: the plain prompt ends with "Answer:", so every answer
/// is the 60 bytes after ':'.
/// </summary>
public sealed class LocalProviderTests
{
    private const int MaxTokens = 60;
    private static readonly string Expected = TinyModel.Continuation(':', MaxTokens);

    private string _dir = null!;
    private QaApp _app = null!;
    private ApiClient _api = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _dir = Directory.CreateTempSubdirectory("qa-local-").FullName;
        var settings = FastWorker()
            .With("Llm:Provider", "Local")
            .With("Llm:ModelPath", TinyModel.Write(Path.Combine(_dir, "tiny.gguf")))
            .With("Llm:ContextSize", "1024")
            .With("Llm:Temperature", "0")
            .With("Llm:MaxTokens", MaxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .With("Llm:MaxConcurrency", "2")
            .With("Llm:DeltaInterval", "00:00:00.010");
        _app = await QaApp.StartAsync(settings, kestrel: true);
        _api = new ApiClient(_app.CreateClient());
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _api.Dispose();
        await _app.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public async Task PostQuestion_LocalModelAnswersEverySlot_WithTheExactTextItsPromptImplies()
    {
        var questionId = await AskAsync(_api, "What does a write-ahead log protect against?");

        var answers = await WaitForAnswersAsync(_api, questionId, 3);

        var slots = await SlotsAsync(_app, questionId);
        Assert.Multiple(() =>
        {
            Assert.That(slots.Select(s => s.Slot), Is.EqualTo(new[] { 0, 1, 2 }));
            Assert.That(slots.Select(s => s.Text), Is.All.EqualTo(Expected));
            Assert.That(slots.Select(s => s.Model), Is.All.EqualTo("tiny"), "author.model is the file's name");
            Assert.That(answers.Select(a => a.GetProperty("author").GetProperty("kind").GetString()), Is.All.EqualTo("llm"));
        });
    }

    [Test]
    public async Task ManyQuestionsAtOnce_NeverMoreGenerationsAtOnceThanMaxConcurrency()
    {
        var model = _app.Service<LocalModel>();
        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await AskAsync(_api, $"Question {i} asked at the same time as two others: what is a B-tree?"));
        }

        foreach (var id in ids)
        {
            await WaitForAnswersAsync(_api, id, 3);
        }

        // Two questions in flight want six generations at once; two run, the rest wait their turn.
        Assert.That(model.PeakRunning, Is.EqualTo(2), "the bound is reached and never passed");
        Assert.That(model.Running, Is.Zero);
    }

    [Test]
    public async Task SocketOnTheQuestion_GetsGrowingDeltasPerSlot_ThenTheSavedAnswers_AndAnotherQuestionsSocketGetsNone()
    {
        var otherId = await AskAsync(_api, "The other question: what is a hash index?");
        await WaitForAnswersAsync(_api, otherId, 3);
        var questionId = await StreamingAssertions.NextQuestionIdAsync(_app);
        await using var other = await LiveClient.ConnectAsync(_app.Address, $"topics=question:{otherId}");
        await using var watcher = await LiveClient.ConnectAsync(_app.Address, $"topics=question:{questionId}");
        Assert.That(await AskAsync(_api, "What does MVCC give a reader?", courseId: 2), Is.EqualTo(questionId));

        var frames = await StreamingAssertions.UntilSavedAsync(watcher, slots: 3);

        StreamingAssertions.DeltasGrowToTheSavedText(frames, slots: 3, minDeltasPerSlot: 2);
        Assert.That(StreamingAssertions.Created(frames).Select(f => f.GetProperty("answer").GetProperty("text").GetString()), Is.All.EqualTo(Expected));
        await StreamingAssertions.AssertNoDeltasAsync(other);
    }
}
