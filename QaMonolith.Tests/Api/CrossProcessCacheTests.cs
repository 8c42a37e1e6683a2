using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Api;

/// <summary>
/// "A write is visible to the next read by anyone", with two processes on one database, one Redis and one key prefix:
/// B's caches are warm when A writes. A drops its own copy before it answers, so A's very next read shows the write;
/// B hears of it over Redis pub/sub, so B gets a tight bound, far below the cache's 30 s expiry.
/// </summary>
public sealed class CrossProcessCacheTests
{
    private static readonly TimeSpan PubSub = TimeSpan.FromSeconds(2);

    private QaApp _appA = null!;
    private QaApp _appB = null!;
    private ApiClient _a = null!;
    private ApiClient _b = null!;
    private long _courseId;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _appA = await QaApp.StartAsync(ApiOnly.Settings());
        _appB = await QaApp.StartAsync(ApiOnly.Settings(), postgres: _appA.PostgresConnectionString, redis: _appA.RedisConnectionString, keyPrefix: _appA.KeyPrefix);
        _a = new ApiClient(_appA.CreateClient());
        _b = new ApiClient(_appB.CreateClient());
        _courseId = await Lists.CourseIdAsync(_a, "Machine Learning");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _a.Dispose();
        _b.Dispose();
        await _appA.DisposeAsync();
        await _appB.DisposeAsync();
    }

    [Test]
    public async Task PostQuestion_OnOneProcess_IsCountedAndListedByBoth()
    {
        var before = await QuestionCountAsync(_a);
        await Eventually.TrueAsync(async () => await QuestionCountAsync(_b) == before, PubSub, "B's course list to agree before the post");
        await Lists.FirstPageAsync(_b, Lists.Questions(_courseId));

        var posted = Listed.From(await _a.AskAsync(_courseId, "Why does L1 regularisation give sparse weights?"));

        var countedByA = await QuestionCountAsync(_a);
        var courseOnA = await CourseQuestionCountAsync(_a);
        var topOnA = await TopAsync(_a, Lists.Questions(_courseId));
        Assert.Multiple(() =>
        {
            Assert.That(countedByA, Is.EqualTo(before + 1), "A's course list");
            Assert.That(courseOnA, Is.EqualTo(before + 1), "A's course");
            Assert.That(topOnA, Is.EqualTo(posted), "A's first page");
        });
        await Eventually.TrueAsync(async () => await QuestionCountAsync(_b) == before + 1, PubSub, "B's course list to count it");
        await Eventually.TrueAsync(async () => await CourseQuestionCountAsync(_b) == before + 1, PubSub, "B's course to count it");
        await Eventually.TrueAsync(async () => await TopAsync(_b, Lists.Questions(_courseId)) == posted, PubSub, "B's first page to list it");
    }

    [TestCase("questions")]
    [TestCase("answers")]
    public async Task Vote_OnOneProcess_MovesAndCountsOnBoth(string kind)
    {
        var (list, older, newer) = await PostTwoAsync(kind);
        await BothShowAsync(list, top => top.Id == newer.Id, "the newer item on top");
        var voter = ApiClient.NewUser();

        await Lists.VoteAsync(_a, kind, older.Id, voter);

        Assert.That(await TopAsync(_a, list), Has.Property(nameof(Listed.Id)).EqualTo(older.Id).And.Property(nameof(Listed.Upvotes)).EqualTo(1));
        await BothShowAsync(list, top => top.Id == older.Id && top.Upvotes == 1, "the upvoted item on top with its vote");

        await Lists.VoteAsync(_a, kind, older.Id, voter, up: false);

        Assert.That(await TopAsync(_a, list), Has.Property(nameof(Listed.Id)).EqualTo(older.Id).And.Property(nameof(Listed.Upvotes)).EqualTo(0));
        await BothShowAsync(list, top => top.Id == older.Id && top.Upvotes == 0, "the vote removed, the item still on top");
    }

    [Test]
    public async Task PostAnswer_OnOneProcess_IsCountedAndListedByBoth()
    {
        var question = Listed.From(await _a.AskAsync(_courseId, "What does batch normalisation normalise?"));
        await BothShowAsync(Lists.Questions(_courseId), top => top.Id == question.Id, "the new question on top");
        await Lists.FirstPageAsync(_b, Lists.Answers(question.Id));

        var answer = Listed.From(await _a.AnswerAsync(question.Id, "Each feature over the mini-batch."));

        var countedByA = await AnswerCountAsync(_a, question.Id);
        var listedByA = await Lists.FirstPageAsync(_a, Lists.Answers(question.Id));
        Assert.Multiple(() =>
        {
            Assert.That(countedByA, Is.EqualTo(1), "A's course page");
            Assert.That(listedByA, Is.EqualTo(new[] { answer }), "A's answers");
        });
        await Eventually.TrueAsync(async () => await AnswerCountAsync(_b, question.Id) == 1, PubSub, "B's course page to count the answer");
        await Eventually.TrueAsync(async () => (await Lists.FirstPageAsync(_b, Lists.Answers(question.Id))).SequenceEqual([answer]),
            PubSub, "B's answers to list it");
    }

    /// <summary>A's read at once, then B's within the pub/sub bound; either way the read also warms that process's cache.</summary>
    private async Task BothShowAsync(string list, Func<Listed, bool> top, string what)
    {
        Assert.That(top(await TopAsync(_a, list)), Is.True, $"A's next read shows {what}");
        await Eventually.TrueAsync(async () => top(await TopAsync(_b, list)), PubSub, $"B to show {what}");
    }

    private static async Task<Listed> TopAsync(ApiClient api, string list) => (await Lists.FirstPageAsync(api, list))[0];

    private async Task<(string List, Listed Older, Listed Newer)> PostTwoAsync(string kind)
    {
        if (kind == "questions")
        {
            var older = Listed.From(await _a.AskAsync(_courseId, "Is k-means guaranteed to converge?"));
            var newer = Listed.From(await _a.AskAsync(_courseId, "How many clusters should k-means use?"));
            return (Lists.Questions(_courseId), older, newer);
        }

        var question = (await _a.AskAsync(_courseId, "Why shuffle the training set each epoch?")).GetProperty("id").GetInt64();
        var first = Listed.From(await _a.AnswerAsync(question, "So that batches are not correlated."));
        var second = Listed.From(await _a.AnswerAsync(question, "Gradient steps then do not follow the file order."));
        return (Lists.Answers(question), first, second);
    }

    private async Task<int> QuestionCountAsync(ApiClient api) =>
        (await api.GetJsonAsync("/api/courses")).GetProperty("items").EnumerateArray()
            .Single(c => c.GetProperty("id").GetInt64() == _courseId).GetProperty("questionCount").GetInt32();

    private async Task<int> CourseQuestionCountAsync(ApiClient api) =>
        (await api.GetJsonAsync($"/api/courses/{_courseId}")).GetProperty("questionCount").GetInt32();

    private async Task<int> AnswerCountAsync(ApiClient api, long questionId) =>
        (await api.GetJsonAsync(Lists.Questions(_courseId))).GetProperty("items").EnumerateArray()
            .Single(q => q.GetProperty("id").GetInt64() == questionId).GetProperty("answerCount").GetInt32();
}
