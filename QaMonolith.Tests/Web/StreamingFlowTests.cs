using Microsoft.Playwright;
using QaMonolith.Tests.Answers;
using static Microsoft.Playwright.Assertions;

namespace QaMonolith.Tests.Web;

/// <summary>
/// A model answer written live on the question page: the OpenAI-protocol fake streams it chunk by chunk at the
/// test's command, through the real worker, qa:live, Live and the page.
/// </summary>
[Category("Browser")]
public sealed class StreamingFlowTests : BrowserFixture
{
    private static readonly string[] Chunks = ["Readers", " see a snapshot,", " so they never", " wait for writers."];

    private FakeModel _fake = null!;
    private TaskCompletionSource[] _release = [];

    protected override async Task<IDictionary<string, string?>> StartSettingsAsync()
    {
        _fake = await FakeModel.StartAsync(FakeProtocol.ChatCompletions);
        _fake.Respond = (_, _) => Task.FromResult(new ModelReply(Text: string.Concat(Chunks)));
        _fake.Chunks = (_, _) => Chunks;
        _fake.BeforeChunk = (_, index, ct) => _release[index].Task.WaitAsync(ct);
        var settings = _fake.Settings();
        settings["Llm:AnswersPerQuestion"] = "1";
        settings["Llm:DeltaInterval"] = "00:00:00.010";
        return settings;
    }

    [OneTimeTearDown]
    public async Task StopFakeAsync() => await _fake.DisposeAsync();

    [Test]
    public async Task ModelAnswer_GrowsInAPlaceholderMarkedAsBeingWritten_ThenTheSavedAnswerTakesItsPlaceOnce()
    {
        _release = [.. Chunks.Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))];
        var courseId = await CourseIdAsync("Databases");
        var questionId = (await AskAsync(courseId, "What does MVCC give a reader?")).GetProperty("id").GetInt64();
        await Page.GotoAsync($"/questions/{questionId}");
        await Expect(Page.Locator("#live-state")).ToHaveTextAsync("Live");
        // Every <li> that ever enters the list, in order: the placeholder, then the saved answer, and nothing else.
        await Page.EvaluateAsync("""
            () => {
              window.added = [];
              new MutationObserver((records) => {
                for (const r of records) for (const n of r.addedNodes) window.added.push(n.className);
              }).observe(document.getElementById("answers"), { childList: true });
            }
            """);

        var placeholder = Page.Locator("#answers > li .writing");
        _release[0].SetResult();
        await Expect(placeholder.Locator(".answer-text")).ToHaveTextAsync("Readers");
        await Expect(placeholder.Locator(".writing-note")).ToHaveTextAsync("being written…");
        _release[1].SetResult();
        await Expect(placeholder.Locator(".answer-text")).ToHaveTextAsync("Readers see a snapshot,");
        var top = (await Page.Locator("#answers > li").First.BoundingBoxAsync())!.Y;
        await ScreenshotAsync(Page, "streaming-placeholder");

        _release[2].SetResult();
        _release[3].SetResult();

        var saved = Page.Locator("#answers > li .by-model:not(.writing)");
        await Expect(saved.Locator(".answer-text")).ToHaveTextAsync(string.Concat(Chunks));
        await Expect(Page.Locator("#answers > li")).ToHaveCountAsync(1);
        await Expect(Page.Locator(".writing")).ToHaveCountAsync(0);
        Assert.That((await Page.Locator("#answers > li").First.BoundingBoxAsync())!.Y, Is.EqualTo(top).Within(0.5), "the saved answer sits where the placeholder was");
        Assert.That(await Page.EvaluateAsync<string[]>("() => window.added"), Is.EqualTo(new[] { "item writing-item", "item" }),
            "one placeholder, replaced once by the saved answer");
        await Expect(Page.Locator("#answers-pending")).ToBeHiddenAsync();
    }
}
