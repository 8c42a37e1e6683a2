using System.Text.RegularExpressions;
using Microsoft.Playwright;
using QaMonolith.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace QaMonolith.Tests.Web;

/// <summary>
/// The issue's flows that need only the REST API, in a real Chromium: each test works in a course of its own
/// (the fixture's app is shared) and is a new user (a new browser context).
/// </summary>
[Category("Browser")]
public sealed partial class PageFlowTests : BrowserFixture
{
    [Test]
    public async Task MainPage_ListsTheSeededCourses_AndClickingOneOpensItsPage()
    {
        var courses = (await Api.GetJsonAsync("/api/courses")).GetProperty("items").EnumerateArray().ToArray();

        await Page.GotoAsync("/");

        var cards = Page.Locator(".course-card");
        await Expect(cards).ToHaveCountAsync(courses.Length);
        for (var i = 0; i < courses.Length; i++)
        {
            var count = courses[i].GetProperty("questionCount").GetInt32();
            await Expect(cards.Nth(i).Locator(".course-title")).ToHaveTextAsync(courses[i].GetProperty("name").GetString()!);
            await Expect(cards.Nth(i).Locator(".course-description")).ToHaveTextAsync(courses[i].GetProperty("description").GetString()!);
            await Expect(cards.Nth(i).Locator(".meta")).ToHaveTextAsync(count == 1 ? "1 question" : $"{count} questions");
        }

        await ScreenshotAsync(Page, "home");
        // Keyboard first: the course's link takes focus and Enter follows it.
        var id = courses.Single(c => c.GetProperty("name").GetString() == "Databases").GetProperty("id").GetInt64();
        await Page.GetByRole(AriaRole.Link, new() { Name = "Databases" }).FocusAsync();
        await Page.Keyboard.PressAsync("Enter");

        await Expect(Page).ToHaveURLAsync(new Uri(BaseUrl, $"/courses/{id}").ToString());
        await Expect(Page.Locator("h1")).ToHaveTextAsync("Databases");
        await Expect(Page).ToHaveTitleAsync("Databases · Course Q&A");
        await Expect(Page.GetByLabel("Your question")).ToBeVisibleAsync();
    }

    [Test]
    public async Task AskingAQuestion_ShowsItAtTheTopAtOnce_ExactlyOnce_AndItsPageSaysAnswersAreBeingWritten()
    {
        var courseId = await CourseIdAsync("Operating Systems");
        await AskAsync(courseId, "What is the difference between a process and a thread?");
        await Page.GotoAsync($"/courses/{courseId}");
        await Expect(Page.Locator("#questions > li")).ToHaveCountAsync(1);

        // Hold the post so the test can see the form while it is being sent.
        var release = new TaskCompletionSource();
        await Page.RouteAsync("**/api/courses/*/questions", async route =>
        {
            if (route.Request.Method == "POST")
            {
                await release.Task;
            }

            await route.ContinueAsync();
        });
        const string text = "Why does a page fault not always mean a disk read?";
        await Page.GetByLabel("Your question").FillAsync(text);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Post question" }).ClickAsync();
        await Expect(Page.GetByLabel("Your question")).ToBeDisabledAsync();
        await Expect(Page.Locator("#ask-form button[type=submit]")).ToHaveTextAsync("Posting…");
        release.SetResult();

        var items = Page.Locator("#questions > li");
        await Expect(items.First.Locator(".question-link")).ToHaveTextAsync(text);
        await Expect(items).ToHaveCountAsync(2);
        await Expect(Page.Locator("#ask-feedback")).ToHaveTextAsync("Your question is posted.");
        await Expect(Page.GetByLabel("Your question")).ToHaveValueAsync("");
        await Expect(Page.GetByLabel("Your question")).ToBeEnabledAsync();
        await Expect(Page.Locator("#ask-form button[type=submit]")).ToBeEnabledAsync();
        Assert.That(await Page.Locator(".question-link", new() { HasText = text }).CountAsync(), Is.EqualTo(1));

        await items.First.Locator(".question-link").ClickAsync();
        await Expect(Page.Locator("h1")).ToHaveTextAsync(text);
        await Expect(Page.Locator("#answers-pending")).ToBeVisibleAsync();
        await Expect(Page.Locator("#answers-pending")).ToContainTextAsync("Answers are being written");
        await Expect(Page.Locator("#course-link")).ToHaveTextAsync("Operating Systems");
    }

    [Test]
    public async Task AnsweringOnTheQuestionPage_ShowsTheAnswerAtOnce_ExactlyOnce()
    {
        var courseId = await CourseIdAsync("Databases");
        var questionId = (await AskAsync(courseId, "When does PostgreSQL choose a bitmap heap scan?")).GetProperty("id").GetInt64();
        await Api.AnswerAsync(questionId, "When an index matches many rows spread over many pages.");
        await Page.GotoAsync($"/questions/{questionId}");
        await Expect(Page.Locator("#answers > li")).ToHaveCountAsync(1);
        await Expect(Page.Locator("#question-meta")).ToContainTextAsync("1 answer");

        const string text = "It sorts the matching row locations by page first, so each page is read once.";
        await Page.GetByLabel("Answer this question").FillAsync(text);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Post answer" }).ClickAsync();

        var items = Page.Locator("#answers > li");
        await Expect(items.First.Locator(".answer-text")).ToHaveTextAsync(text);
        await Expect(items.First.Locator(".badge")).ToHaveTextAsync("Student answer");
        await Expect(items).ToHaveCountAsync(2);
        await Expect(Page.Locator("#question-meta")).ToContainTextAsync("2 answers");
        await Expect(Page.Locator("#answer-feedback")).ToHaveTextAsync("Your answer is posted.");
        Assert.That(await Page.Locator(".answer-text", new() { HasText = text }).CountAsync(), Is.EqualTo(1));
        // No pending note: this browser did not ask the question.
        await Expect(Page.Locator("#answers-pending")).ToBeHiddenAsync();
    }

    [Test]
    public async Task ModelAnswers_AreMarkedAsSuch_WithTheModelsName()
    {
        var courseId = await CourseIdAsync("Databases");
        var questionId = (await AskAsync(courseId, "What does VACUUM actually reclaim?")).GetProperty("id").GetInt64();
        // Straight into the table, before anything has read (and cached) the question's answers.
        await InsertModelAnswerAsync(questionId, 0, "llama-3.1-8b-instruct", "Dead tuples that no running transaction can still see.");
        await Api.AnswerAsync(questionId, "Space inside the table's pages, mostly; the file rarely shrinks.");

        await Page.GotoAsync($"/questions/{questionId}");

        var items = Page.Locator("#answers > li");
        await Expect(items).ToHaveCountAsync(2);
        var model = items.Filter(new() { Has = Page.Locator(".by-model") });
        await Expect(model).ToHaveCountAsync(1);
        await Expect(model.Locator(".badge.model")).ToContainTextAsync("Model answer");
        await Expect(model.Locator(".model-name")).ToHaveTextAsync("llama-3.1-8b-instruct");
        await Expect(model.Locator(".answer-text")).ToHaveTextAsync("Dead tuples that no running transaction can still see.");
        var student = items.Filter(new() { HasNot = Page.Locator(".by-model") });
        await Expect(student.Locator(".badge")).ToHaveTextAsync("Student answer");
    }

    [Test]
    public async Task UpvotingAQuestion_MovesItToTheTopAfterAReload_TheToggleShowsIt_AndASecondClickRemovesIt()
    {
        var courseId = await CourseIdAsync("Linear Algebra");
        await AskAsync(courseId, "Why is the determinant the volume scaling factor?");
        await AskAsync(courseId, "When is a matrix diagonalizable?");
        await AskAsync(courseId, "What does the SVD say geometrically?");
        await Page.GotoAsync($"/courses/{courseId}");
        var links = Page.Locator("#questions > li .question-link");
        await Expect(links).ToHaveTextAsync(["What does the SVD say geometrically?", "When is a matrix diagonalizable?", "Why is the determinant the volume scaling factor?"]);

        var oldest = Page.Locator("#questions > li").Nth(2).Locator("button.vote");
        await Expect(oldest).ToHaveAttributeAsync("aria-pressed", "false");
        await oldest.ClickAsync();
        await Expect(oldest).ToHaveAttributeAsync("aria-pressed", "true");
        await Expect(oldest.Locator(".vote-count")).ToHaveTextAsync("1");
        await Expect(oldest).ToHaveAccessibleNameAsync("You upvoted this (1 upvote)");
        // Votes are not pushed and the list does not reorder under the reader's hand.
        await Expect(links.Nth(2)).ToHaveTextAsync("Why is the determinant the volume scaling factor?");

        await Page.ReloadAsync();
        await Expect(links).ToHaveTextAsync(["Why is the determinant the volume scaling factor?", "What does the SVD say geometrically?", "When is a matrix diagonalizable?"]);
        var top = Page.Locator("#questions > li").First.Locator("button.vote");
        await Expect(top).ToHaveAttributeAsync("aria-pressed", "true");

        await top.ClickAsync();
        await Expect(top).ToHaveAttributeAsync("aria-pressed", "false");
        await Expect(top.Locator(".vote-count")).ToHaveTextAsync("0");

        await Page.ReloadAsync();
        // Taking an upvote back does not move the question again.
        await Expect(links.First).ToHaveTextAsync("Why is the determinant the volume scaling factor?");
        await Expect(top).ToHaveAttributeAsync("aria-pressed", "false");
        await Expect(top.Locator(".vote-count")).ToHaveTextAsync("0");
    }

    [Test]
    public async Task InfiniteScroll_With65Questions_LoadsAll65ExactlyOnce_InOrder()
    {
        var courseId = await CourseIdAsync("Machine Learning");
        var asked = new List<string>();
        for (var i = 1; i <= 65; i++)
        {
            var text = $"Question {i:D2}: how does regularisation trade bias for variance?";
            await AskAsync(courseId, text);
            asked.Add(text);
        }

        asked.Reverse();
        await Page.GotoAsync($"/courses/{courseId}");
        var links = Page.Locator("#questions > li .question-link");
        await Expect(links).ToHaveCountAsync(20);
        await Expect(Page.Locator("#questions-status")).ToHaveTextAsync("Scroll for more questions.");
        Assert.That(await links.CountAsync(), Is.EqualTo(20), "one page of 20 until the reader scrolls");

        var status = Page.Locator("#questions-status");
        for (var i = 0; i < 20 && await status.TextContentAsync() != "All 65 questions shown."; i++)
        {
            await Page.Locator("#questions-end").ScrollIntoViewIfNeededAsync();
            await Page.Mouse.WheelAsync(0, 1500);
            await Page.WaitForTimeoutAsync(100);
        }

        await Expect(status).ToHaveTextAsync("All 65 questions shown.");
        Assert.That(await links.AllTextContentsAsync(), Is.EqualTo(asked), "all 65, once each, newest first");
    }

    [Test]
    public async Task ASecondQuestionWithinAMinute_ShowsTheWait_CountingDown_AndPostsNothing()
    {
        var courseId = await CourseIdAsync("Computer Networks");
        await Page.GotoAsync($"/courses/{courseId}");
        var box = Page.GetByLabel("Your question");
        var feedback = Page.Locator("#ask-feedback");
        await box.FillAsync("Why does TCP slow start begin with a small window?");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Post question" }).ClickAsync();
        await Expect(feedback).ToHaveTextAsync("Your question is posted.");
        var before = (await Api.GetJsonAsync($"/api/courses/{courseId}")).GetProperty("questionCount").GetInt32();

        await box.FillAsync("And why does it then grow exponentially?");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Post question" }).ClickAsync();

        await Expect(feedback).ToHaveTextAsync(new Regex(@"^You can post one question every 60 s\. Please wait \d+ s before posting again\.$"));
        var first = SecondsLeft(await feedback.TextContentAsync());
        Assert.That(first, Is.InRange(50, 60));
        await Expect(Page.Locator("#ask-form button[type=submit]")).ToBeDisabledAsync();
        await Expect(feedback).Not.ToHaveTextAsync(new Regex($@"wait {first} s"), new() { Timeout = 3_000 });
        Assert.That(SecondsLeft(await feedback.TextContentAsync()), Is.LessThan(first), "the wait counts down");
        await Expect(box).ToHaveValueAsync("And why does it then grow exponentially?");

        Assert.That((await Api.GetJsonAsync($"/api/courses/{courseId}")).GetProperty("questionCount").GetInt32(), Is.EqualTo(before), "nothing posted");
        await Expect(Page.Locator("#questions > li")).ToHaveCountAsync(1);
    }

    [Test]
    public async Task AQuestionWithScriptAndImgOnerror_IsShownAsText_AndRunsNothing()
    {
        var courseId = await CourseIdAsync("Introduction to Algorithms");
        const string text = "<script>window.injected = 1</script><img src=x onerror=\"window.injected = 2\"> is this O(n)?";
        await Page.GotoAsync($"/courses/{courseId}");
        await Page.GetByLabel("Your question").FillAsync(text);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Post question" }).ClickAsync();

        var link = Page.Locator("#questions > li .question-link").First;
        await Expect(link).ToHaveTextAsync(text);
        await AssertNothingInjectedAsync(Page);

        // The same from the REST list and on the question's own page, in a new browser.
        var other = await NewPageAsync();
        await other.GotoAsync($"/courses/{courseId}");
        await Expect(other.Locator("#questions > li .question-link").First).ToHaveTextAsync(text);
        await AssertNothingInjectedAsync(other);
        await other.Locator("#questions > li .question-link").First.ClickAsync();
        await Expect(other.Locator("h1")).ToHaveTextAsync(text);
        await AssertNothingInjectedAsync(other);
    }

    [Test]
    public async Task TheContentSecurityPolicy_RefusesInlineScript()
    {
        await Page.GotoAsync("/");
        await Expect(Page.Locator(".course-card").First).ToBeVisibleAsync();

        // What a rendering bug would do: put a script element with inline code into the page.
        await Page.EvaluateAsync("() => { const s = document.createElement('script'); s.textContent = 'window.inlineRan = true'; document.head.append(s); }");

        Assert.That(await Page.EvaluateAsync<bool>("() => window.inlineRan === undefined"), Is.True, "inline script ran");
        var reported = new List<string>();
        await Eventually.TrueAsync(() => { reported.AddRange(TakePageErrors()); return Task.FromResult(reported.Count > 0); },
            TimeSpan.FromSeconds(5), "the browser to report the refused script");
        Assert.That(reported, Has.Some.Contains("Content Security Policy"));
    }

    [Test]
    public async Task OnAPhone_EveryPageFitsTheScreen_WithoutSidewaysScrolling()
    {
        var courseId = await CourseIdAsync("Databases");
        var question = await AskAsync(courseId,
            "Why does my query on orders_by_customer_and_region_materialized_view_v2 ignore the index after an ANALYZE?");
        var questionId = question.GetProperty("id").GetInt64();
        await InsertModelAnswerAsync(questionId, 0, "llama-3.1-8b-instruct",
            "The planner's row estimate changed.\n\nCompare EXPLAIN (ANALYZE, BUFFERS) before and after, and check the column's statistics target.");
        await Api.AnswerAsync(questionId, "Check pg_stats for the column: the most common values may have shifted.");
        var phone = await NewPageAsync(390, 844);

        foreach (var (path, name, ready) in new[]
        {
            ("/", "home", ".course-card"),
            ($"/courses/{courseId}", "course", "#questions > li"),
            ($"/questions/{questionId}", "question", "#answers > li"),
        })
        {
            await phone.GotoAsync(path);
            await Expect(phone.Locator(ready).First).ToBeVisibleAsync();
            var overflow = await phone.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
            Assert.That(overflow, Is.LessThanOrEqualTo(0), $"{path} scrolls sideways on a 390 px screen");
            await ScreenshotAsync(phone, $"phone-{name}");
        }

        // The form's controls stay reachable and labelled at this width.
        await Expect(phone.GetByLabel("Answer this question")).ToBeVisibleAsync();
        var button = await phone.GetByRole(AriaRole.Button, new() { Name = "Post answer" }).BoundingBoxAsync();
        Assert.That(button!.Height, Is.GreaterThanOrEqualTo(44), "a thumb-sized button");
    }

    private static async Task AssertNothingInjectedAsync(IPage page)
    {
        Assert.That(await page.EvaluateAsync<bool>("() => window.injected === undefined"), Is.True, "injected script ran");
        Assert.That(await page.Locator("main img").CountAsync(), Is.Zero, "an <img> was created from user text");
        Assert.That(await page.Locator("main script").CountAsync(), Is.Zero, "a <script> was created from user text");
    }

    private static int SecondsLeft(string? feedback) =>
        int.Parse(WaitSeconds().Match(feedback ?? "").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"wait (\d+) s")]
    private static partial Regex WaitSeconds();
}
