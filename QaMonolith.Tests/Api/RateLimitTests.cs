using System.Diagnostics;
using System.Net;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Api;

/// <summary>
/// One question and one answer per user per interval, on separate timers, and a ceiling of posts per client IP.
/// Only a saved post uses up a slot. The default app keeps the 60 s intervals; a second app has 1 s intervals to
/// see a slot come back; the IP ceiling gets an app of its own per test, on a real socket.
/// </summary>
public sealed class RateLimitTests
{
    private static readonly TimeSpan QuickInterval = TimeSpan.FromSeconds(1);

    private QaApp _app = null!;
    private ApiClient _api = null!;
    private QaApp _quickApp = null!;
    private ApiClient _quick = null!;
    private long _courseId;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _app = await QaApp.StartAsync(ApiOnly.Settings());
        _api = new ApiClient(_app.CreateClient());
        _quickApp = await QaApp.StartAsync(ApiOnly.Settings(new Dictionary<string, string?>
        {
            ["RateLimits:QuestionInterval"] = QuickInterval.ToString(),
            ["RateLimits:AnswerInterval"] = QuickInterval.ToString(),
        }));
        _quick = new ApiClient(_quickApp.CreateClient());
        _courseId = await Lists.CourseIdAsync(_api, "Operating Systems");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _api.Dispose();
        _quick.Dispose();
        await _app.DisposeAsync();
        await _quickApp.DisposeAsync();
    }

    [Test]
    public async Task QuestionAndAnswerTimers_AreSeparate()
    {
        var user = ApiClient.NewUser();
        var question = (await _api.AskAsync(_courseId, "What is a page fault?", user)).GetProperty("id").GetInt64();

        await _api.AnswerAsync(question, "A trap taken when a page is not mapped.", user);

        using var secondQuestion = await _api.PostQuestionAsync(_courseId, "And a TLB miss?", user);
        using var secondAnswer = await _api.PostAnswerAsync(question, "The kernel then loads the page.", user);
        await RateLimited.AssertAsync(secondQuestion, "question");
        await RateLimited.AssertAsync(secondAnswer, "answer");
    }

    [TestCase("questions")]
    [TestCase("answers")]
    public async Task Post_SecondWithinTheInterval_Returns429SayingHowLongToWait(string kind)
    {
        var target = await TargetAsync(_api, kind);
        var user = ApiClient.NewUser();
        await PostSavedAsync(_api, kind, target, user);

        using var second = await PostAsync(_api, kind, target, user);

        var seconds = await RateLimited.AssertAsync(second, "Try again in");
        Assert.That(seconds, Is.InRange(50, 60), "most of the 60 s interval is still to go");
    }

    [TestCase("questions")]
    [TestCase("answers")]
    public async Task Post_ToSomethingThatDoesNotExist_DoesNotUseUpTheSlot(string kind)
    {
        var target = await TargetAsync(_api, kind);
        var user = ApiClient.NewUser();
        using (var missing = await PostAsync(_api, kind, 999_999, user))
        {
            await Problem.AssertAsync(missing, HttpStatusCode.NotFound);
        }

        await PostSavedAsync(_api, kind, target, user);
    }

    [TestCase("questions")]
    [TestCase("answers")]
    public async Task Post_AfterTheInterval_IsAllowedAgain(string kind)
    {
        var target = await TargetAsync(_quick, kind);
        var user = ApiClient.NewUser();
        await PostSavedAsync(_quick, kind, target, user);

        var waited = Stopwatch.StartNew();
        using (var early = await PostAsync(_quick, kind, target, user))
        {
            Assert.That(await RateLimited.AssertAsync(early), Is.EqualTo(1));
        }

        await Eventually.TrueAsync(async () =>
        {
            using var again = await PostAsync(_quick, kind, target, user);
            if (again.StatusCode != HttpStatusCode.Created)
            {
                await RateLimited.AssertAsync(again);
                return false;
            }

            return true;
        }, TimeSpan.FromSeconds(5), "the slot to come back");
        // The clock started after the first post's response, so it is a little short of the whole interval.
        Assert.That(waited.Elapsed, Is.GreaterThan(QuickInterval * 0.8), "the slot held for the interval");
    }

    [Test]
    public async Task Post_FourthFromOneClientWithNewUsers_Returns429_QuestionsAndAnswersAlike()
    {
        await using var app = await StartIpLimitedAsync();
        using var api = new ApiClient(app.CreateClient());
        var course = await Lists.CourseIdAsync(api, "Operating Systems");
        var question = (await api.AskAsync(course, "Is a spinlock ever the right choice?")).GetProperty("id").GetInt64();
        await api.AskAsync(course, "What does a condition variable wait for?");
        await api.AnswerAsync(question, "When the critical section is shorter than a context switch.");

        using var fourth = await api.PostQuestionAsync(course, "What about a futex?", ApiClient.NewUser());
        using var answer = await api.PostAnswerAsync(question, "On one core, never.", ApiClient.NewUser());

        await RateLimited.AssertAsync(fourth, "network");
        await RateLimited.AssertAsync(answer, "network");
    }

    [Test]
    public async Task Post_RejectedFromOneClient_DoesNotUseTheIpBudget()
    {
        await using var app = await StartIpLimitedAsync();
        using var api = new ApiClient(app.CreateClient());
        var course = await Lists.CourseIdAsync(api, "Operating Systems");
        var user = ApiClient.NewUser();
        await api.AskAsync(course, "Why do threads share a heap?", user);

        using (var limited = await api.PostQuestionAsync(course, "And their stacks?", user))
        using (var invalid = await api.PostQuestionAsync(course, "   ", ApiClient.NewUser()))
        using (var missing = await api.PostQuestionAsync(999_999, "Which course is this?", ApiClient.NewUser()))
        {
            await RateLimited.AssertAsync(limited, "question");
            await Problem.AssertAsync(invalid, HttpStatusCode.BadRequest);
            await Problem.AssertAsync(missing, HttpStatusCode.NotFound);
        }

        await api.AskAsync(course, "What does a mutex protect?");
        await api.AskAsync(course, "What is priority inversion?");
        using var over = await api.PostQuestionAsync(course, "One too many?", ApiClient.NewUser());
        await RateLimited.AssertAsync(over, "network");
    }

    [Test]
    public async Task Post_FiftyUsersAtOnceFromOneClient_CreatesExactlyTheCeiling()
    {
        await using var app = await StartIpLimitedAsync();
        using var api = new ApiClient(app.CreateClient());
        var course = await Lists.CourseIdAsync(api, "Operating Systems");

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(n =>
            Task.Run(() => api.PostQuestionAsync(course, $"Why is a deadlock hard to detect? ({n})", ApiClient.NewUser()))));

        await RateLimited.AssertCreatedAsync(responses, 3, "network");
    }

    /// <summary>Three posts per IP per minute, on a real socket: the in-memory test server has no client address.</summary>
    private static Task<QaApp> StartIpLimitedAsync() =>
        QaApp.StartAsync(ApiOnly.Settings(new Dictionary<string, string?> { ["RateLimits:PerIpPerMinute"] = "3" }), kestrel: true);

    /// <summary>Where a post of <paramref name="kind"/> goes: the course, or a new question of it.</summary>
    private async Task<long> TargetAsync(ApiClient api, string kind) =>
        kind == "questions" ? _courseId : (await api.AskAsync(_courseId, "How does a scheduler pick the next thread?")).GetProperty("id").GetInt64();

    private static async Task PostSavedAsync(ApiClient api, string kind, long target, Guid user)
    {
        using var response = await PostAsync(api, kind, target, user);
        await ApiClient.ReadJsonAsync(response, HttpStatusCode.Created);
    }

    private static Task<HttpResponseMessage> PostAsync(ApiClient api, string kind, long target, Guid user) =>
        kind == "questions"
            ? api.PostQuestionAsync(target, "Why is a context switch expensive?", user)
            : api.PostAnswerAsync(target, "Caches and the TLB go cold.", user);
}
