using System.Text.Json;
using System.Web;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace QaMonolith.Tests.Web;

/// <summary>
/// The pages' live client against a scripted /ws that speaks DESIGN.md's protocol: topics, eventId, resume with
/// after, reset, dedupe. Real questions and answers come from the API, so the pages' REST side is real too.
/// </summary>
[Category("Browser")]
public sealed class LiveClientTests : BrowserFixture
{
    [Test]
    public async Task CoursePage_ShowsAQuestionPushedOverTheSocket_AtTheTop_OnceEvenIfRepeated_AndOnlyForItsCourse()
    {
        var courseId = await CourseIdAsync("Databases");
        var otherCourseId = await CourseIdAsync("Operating Systems");
        var old = await AskAsync(courseId, "Is a foreign key an index?");
        var socket = await ScriptedSocket.RouteAsync(Page);

        await Page.GotoAsync($"/courses/{courseId}");
        var ws = await socket.NextConnectionAsync();
        var url = socket.Urls.Single();
        Assert.That(HttpUtility.ParseQueryString(url.Query)["topics"], Is.EqualTo($"course:{courseId}"));
        Assert.That(HttpUtility.ParseQueryString(url.Query)["after"], Is.Null, "a first connection resumes nothing");
        ScriptedSocket.Hello(ws, "100-0", $"course:{courseId}");
        await Expect(Page.Locator("#live-state")).ToHaveTextAsync("Live");
        var items = Page.Locator("#questions > li .question-link");
        await Expect(items).ToHaveTextAsync([old.GetProperty("text").GetString()!]);

        var fresh = await AskAsync(courseId, "Why is my index not used for LIKE '%x'?");
        ScriptedSocket.QuestionCreated(ws, "101-0", fresh);
        ScriptedSocket.QuestionCreated(ws, "101-0", fresh);
        ScriptedSocket.QuestionCreated(ws, "102-0", await AskAsync(otherCourseId, "A question of another course."));

        await Expect(items).ToHaveTextAsync(["Why is my index not used for LIKE '%x'?", "Is a foreign key an index?"]);
        await Expect(Page.Locator("#announcer")).ToHaveTextAsync("New question: Why is my index not used for LIKE '%x'?");
        Assert.That(await Page.GetByText("A question of another course.").CountAsync(), Is.Zero);
    }

    [Test]
    public async Task WhenTheSocketDrops_ThePageReconnectsWithTheLastEventId_AndShowsWhatItMissedOnce()
    {
        var courseId = await CourseIdAsync("Computer Networks");
        var socket = await ScriptedSocket.RouteAsync(Page);
        await Page.GotoAsync($"/courses/{courseId}");
        var first = await socket.NextConnectionAsync();
        ScriptedSocket.Hello(first, "200-0", $"course:{courseId}");
        var seen = await AskAsync(courseId, "What does a router do with TTL zero?");
        ScriptedSocket.QuestionCreated(first, "200-5", seen);
        var items = Page.Locator("#questions > li .question-link");
        await Expect(items).ToHaveTextAsync(["What does a router do with TTL zero?"]);

        await first.CloseAsync(new() { Code = 1013, Reason = "send queue full" });
        var missed = await AskAsync(courseId, "Why is DNS mostly UDP?");

        var second = await socket.NextConnectionAsync();
        await Expect(Page.Locator("#live-state")).ToHaveTextAsync("Connecting…");
        var resumed = HttpUtility.ParseQueryString(socket.Urls.Last().Query);
        Assert.That(resumed["after"], Is.EqualTo("200-5"), "resumes after the last event it saw");
        Assert.That(resumed["topics"], Is.EqualTo($"course:{courseId}"));
        // At-least-once: the server may replay an event the page already has.
        ScriptedSocket.Hello(second, "200-9", $"course:{courseId}");
        ScriptedSocket.QuestionCreated(second, "200-5", seen);
        ScriptedSocket.QuestionCreated(second, "200-9", missed);

        await Expect(items).ToHaveTextAsync(["Why is DNS mostly UDP?", "What does a router do with TTL zero?"]);
        await Expect(Page.Locator("#live-state")).ToHaveTextAsync("Live");
    }

    [Test]
    public async Task OnReset_ThePageReloadsItsListOverRest()
    {
        var courseId = await CourseIdAsync("Linear Algebra");
        await AskAsync(courseId, "What is a basis, intuitively?");
        var socket = await ScriptedSocket.RouteAsync(Page);
        await Page.GotoAsync($"/courses/{courseId}");
        var first = await socket.NextConnectionAsync();
        ScriptedSocket.Hello(first, "300-0", $"course:{courseId}");
        var items = Page.Locator("#questions > li .question-link");
        await Expect(items).ToHaveTextAsync(["What is a basis, intuitively?"]);

        // Posted while the page was away, and trimmed from the stream before it came back.
        await first.CloseAsync();
        await AskAsync(courseId, "Is every square matrix diagonalizable?");
        var second = await socket.NextConnectionAsync();
        ScriptedSocket.Hello(second, "900-0", $"course:{courseId}");
        ScriptedSocket.Reset(second);

        await Expect(items).ToHaveTextAsync(["Is every square matrix diagonalizable?", "What is a basis, intuitively?"]);

        // After a reset the page resumes from the hello's position, not from the trimmed one.
        await second.CloseAsync();
        await socket.NextConnectionAsync();
        Assert.That(HttpUtility.ParseQueryString(socket.Urls.Last().Query)["after"], Is.EqualTo("900-0"));
    }

    [Test]
    public async Task TheAuthorsOwnQuestion_IsShownOnce_WhenItsLiveEventComesAfterThePostsResponse()
    {
        var (courseId, ws) = await OpenCourseAsync("Machine Learning", "400-0");

        await AskInPageAsync("What is early stopping?");
        var items = Page.Locator("#questions > li .question-link");
        await Expect(items).ToHaveTextAsync(["What is early stopping?"]);
        ScriptedSocket.QuestionCreated(ws, "400-1", await ListedQuestionAsync(courseId, "What is early stopping?"));
        var marker = await AskAsync(courseId, "Asked by someone else afterwards.");
        ScriptedSocket.QuestionCreated(ws, "400-2", marker);

        // The later event is on the page, so the repeated one before it has been handled too.
        await Expect(items).ToHaveTextAsync(["Asked by someone else afterwards.", "What is early stopping?"]);
    }

    [Test]
    public async Task TheAuthorsOwnQuestion_IsShownOnce_WhenItsLiveEventComesBeforeThePostsResponse()
    {
        var (_, ws) = await OpenCourseAsync("Operating Systems", "450-0");
        var mine = Page.Locator("#questions > li .question-link", new() { HasText = "What is a spinlock good for?" });
        // The 201 is held back until the question's event has put it on the page.
        await Page.RouteAsync("**/api/courses/*/questions", async route =>
        {
            var response = await route.FetchAsync();
            ScriptedSocket.QuestionCreated(ws, "450-1", JsonDocument.Parse(await response.TextAsync()).RootElement.Clone());
            await Expect(mine).ToHaveCountAsync(1);
            await route.FulfillAsync(new() { Response = response });
        });

        await AskInPageAsync("What is a spinlock good for?");

        await Expect(Page.Locator("#ask-feedback")).ToHaveTextAsync("Your question is posted.");
        await Expect(mine).ToHaveCountAsync(1);
        await Expect(Page.Locator("#questions > li").First).ToContainTextAsync("What is a spinlock good for?");
    }

    [Test]
    public async Task QuestionPage_ShowsAModelAnswerPushedLive_AtTheTop_AndTheBeingWrittenNoteGoes()
    {
        var courseId = await CourseIdAsync("Introduction to Algorithms");
        var socket = await ScriptedSocket.RouteAsync(Page);
        await Page.GotoAsync($"/courses/{courseId}");
        ScriptedSocket.Hello(await socket.NextConnectionAsync(), "500-0", $"course:{courseId}");
        await AskInPageAsync("Why is quicksort's worst case quadratic?");
        await Page.Locator("#questions > li .question-link").First.ClickAsync();

        var ws = await socket.NextConnectionAsync();
        var questionId = long.Parse(new Uri(Page.Url).Segments[^1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(HttpUtility.ParseQueryString(socket.Urls.Last().Query)["topics"], Is.EqualTo($"question:{questionId}"));
        ScriptedSocket.Hello(ws, "500-1", $"question:{questionId}");
        await Expect(Page.Locator("#answers-pending")).ToBeVisibleAsync();
        await ScreenshotAsync(Page, "question-page-answers-being-written");

        var answerId = await InsertModelAnswerAsync(questionId, 0, "qwen2.5-7b-instruct", "Bad pivots: an already sorted input splits n into n-1 and 0 every time.");
        var answer = await Api.GetJsonAsync($"/api/answers/{answerId}");
        ScriptedSocket.AnswerCreated(ws, "500-2", courseId, answer);
        var otherQuestion = await AskAsync(courseId, "Another question.");
        ScriptedSocket.AnswerCreated(ws, "500-3", courseId, await Api.AnswerAsync(otherQuestion.GetProperty("id").GetInt64(), "An answer to another question."));

        var items = Page.Locator("#answers > li");
        await Expect(items).ToHaveCountAsync(1);
        await Expect(items.First.Locator(".model-name")).ToHaveTextAsync("qwen2.5-7b-instruct");
        await Expect(Page.Locator("#answers-pending")).ToBeHiddenAsync();
        await Expect(Page.Locator("#question-meta")).ToContainTextAsync("1 answer");
        await Expect(Page.Locator("#announcer")).ToContainTextAsync("New model answer");
    }

    /// <summary>Opens a course page on the scripted socket and says hello; returns the course and the socket.</summary>
    private async Task<(long CourseId, IWebSocketRoute Ws)> OpenCourseAsync(string course, string lastEventId)
    {
        var courseId = await CourseIdAsync(course);
        var socket = await ScriptedSocket.RouteAsync(Page);
        await Page.GotoAsync($"/courses/{courseId}");
        var ws = await socket.NextConnectionAsync();
        ScriptedSocket.Hello(ws, lastEventId, $"course:{courseId}");
        await Expect(Page.Locator("#live-state")).ToHaveTextAsync("Live");
        return (courseId, ws);
    }

    private async Task AskInPageAsync(string text)
    {
        await Page.GetByLabel("Your question").FillAsync(text);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Post question" }).ClickAsync();
    }

    private async Task<JsonElement> ListedQuestionAsync(long courseId, string text) =>
        (await Api.GetJsonAsync($"/api/courses/{courseId}/questions?limit=100")).GetProperty("items").EnumerateArray()
            .Single(q => q.GetProperty("text").GetString() == text);
}
