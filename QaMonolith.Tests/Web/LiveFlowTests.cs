using System.Collections.Concurrent;
using System.Web;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace QaMonolith.Tests.Web;

/// <summary>
/// The live flows end to end: real /ws from the Live module, real model answers from the Answers module
/// (its default Offline provider needs no model server), two browser contexts as two students.
/// </summary>
[Category("Browser")]
public sealed class LiveFlowTests : BrowserFixture
{
    private static readonly TimeSpan ModelTime = TimeSpan.FromSeconds(30);

    // Everything on, the Answers module included.
    protected override IDictionary<string, string?> AppSettings => new Dictionary<string, string?>();

    [Test]
    public async Task AskingAQuestion_TheModelsAnswersAppearLiveOnItsPage()
    {
        var courseId = await CourseIdAsync("Databases");
        await OpenLiveAsync(Page, $"/courses/{courseId}");
        await AskInAsync(Page, "Your question", "Post question", "What is write-ahead logging for?");
        await Expect(Page.Locator("#questions > li .question-link").First).ToHaveTextAsync("What is write-ahead logging for?");

        await Page.Locator("#questions > li .question-link").First.ClickAsync();
        await Expect(Page.Locator("#live-state")).ToHaveTextAsync("Live");
        await MarkDocumentAsync(Page);

        await Expect(Page.Locator("#answers > li .by-model").First).ToBeVisibleAsync(new() { Timeout = (float)ModelTime.TotalMilliseconds });
        await Expect(Page.Locator("#answers > li .by-model .model-name").First).Not.ToBeEmptyAsync();
        await Expect(Page.Locator("#answers-pending")).ToBeHiddenAsync();
        await AssertNotReloadedAsync(Page);
    }

    [Test]
    public async Task TwoStudentsOnACoursePage_AQuestionAskedByOneAppearsForTheOther_AndOneOfAnotherCourseDoesNot()
    {
        var courseId = await CourseIdAsync("Operating Systems");
        var otherCourseId = await CourseIdAsync("Linear Algebra");
        var reader = await NewPageAsync();
        await OpenLiveAsync(Page, $"/courses/{courseId}");
        await OpenLiveAsync(reader, $"/courses/{courseId}");
        await MarkDocumentAsync(reader);

        await AskAsync(otherCourseId, "What is a null space?");
        await AskInAsync(Page, "Your question", "Post question", "What does the scheduler do on a timer interrupt?");

        var items = reader.Locator("#questions > li .question-link");
        await Expect(items.First).ToHaveTextAsync("What does the scheduler do on a timer interrupt?");
        await Expect(items).ToHaveCountAsync(1);
        Assert.That(await reader.GetByText("What is a null space?").CountAsync(), Is.Zero, "another course's question");
        await AssertNotReloadedAsync(reader);
    }

    [Test]
    public async Task AnsweringOnTheQuestionPage_TheAnswerAppearsLiveForASecondStudent()
    {
        var courseId = await CourseIdAsync("Computer Networks");
        var questionId = (await AskAsync(courseId, "Why does TCP need a three-way handshake?")).GetProperty("id").GetInt64();
        var reader = await NewPageAsync();
        await OpenLiveAsync(Page, $"/questions/{questionId}");
        await OpenLiveAsync(reader, $"/questions/{questionId}");
        await MarkDocumentAsync(reader);

        const string text = "Both sides must learn the other's initial sequence number.";
        await AskInAsync(Page, "Answer this question", "Post answer", text);

        await Expect(reader.Locator(".answer-text", new() { HasText = text })).ToHaveCountAsync(1);
        await Expect(Page.Locator(".answer-text", new() { HasText = text })).ToHaveCountAsync(1);
        await AssertNotReloadedAsync(reader);
    }

    [Test]
    public async Task WhenTheSocketIsKilledAndRestored_AnEventPublishedMeanwhileAppearsOnce()
    {
        var courseId = await CourseIdAsync("Machine Learning");
        var sockets = new ConcurrentQueue<(IWebSocketRoute Page, IWebSocketRoute Server)>();
        var urls = new ConcurrentQueue<Uri>();
        // Through to the real /ws, but with a handle on both ends so the test can cut the line.
        await Page.RouteWebSocketAsync(ScriptedSocket.WsPath(), ws =>
        {
            urls.Enqueue(new Uri(ws.Url));
            sockets.Enqueue((ws, ws.ConnectToServer()));
        });
        await OpenLiveAsync(Page, $"/courses/{courseId}");
        await AskAsync(courseId, "Seen before the cut: what is a learning rate?");
        var items = Page.Locator("#questions > li .question-link");
        await Expect(items.First).ToHaveTextAsync("Seen before the cut: what is a learning rate?");
        await MarkDocumentAsync(Page);

        Assert.That(sockets.TryDequeue(out var cut), Is.True);
        await cut.Server.CloseAsync();
        await cut.Page.CloseAsync(new() { Code = 1006 });
        await AskAsync(courseId, "Posted while the socket was down: what is momentum?");

        await Expect(items.First).ToHaveTextAsync("Posted while the socket was down: what is momentum?");
        await Expect(Page.Locator(".question-link", new() { HasText = "what is momentum?" })).ToHaveCountAsync(1);
        await Expect(Page.Locator(".question-link", new() { HasText = "what is a learning rate?" })).ToHaveCountAsync(1);
        Assert.That(HttpUtility.ParseQueryString(urls.Last().Query)["after"], Is.Not.Null.And.Not.Empty, "the reconnect resumed");
        await AssertNotReloadedAsync(Page);
    }

    private static async Task OpenLiveAsync(IPage page, string path)
    {
        await page.GotoAsync(path);
        await Expect(page.Locator("#live-state")).ToHaveTextAsync("Live");
    }

    private static async Task AskInAsync(IPage page, string label, string button, string text)
    {
        await page.GetByLabel(label).FillAsync(text);
        await page.GetByRole(AriaRole.Button, new() { Name = button }).ClickAsync();
    }

    // A reload would start a new document without the mark: proof that what appeared came live.
    private static Task MarkDocumentAsync(IPage page) => page.EvaluateAsync("() => { window.sameDocument = true; }");

    private static async Task AssertNotReloadedAsync(IPage page) =>
        Assert.That(await page.EvaluateAsync<bool>("() => window.sameDocument === true"), Is.True, "the page reloaded");
}
