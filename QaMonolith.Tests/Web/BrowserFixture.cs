using System.Collections.Concurrent;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Npgsql;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Web;

/// <summary>
/// The real app on a Kestrel socket and one headless Chromium (Debian's, driven by Playwright's bundled node
/// driver; nothing is downloaded) for the whole fixture; a fresh browser context, so a fresh user, per test. At
/// the end of each test every page it opened is saved as a screenshot under TestResults/screenshots.
/// </summary>
public abstract class BrowserFixture
{
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    ];

    private readonly List<IBrowserContext> _contexts = [];
    private readonly ConcurrentQueue<string> _pageErrors = new();
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public static string ScreenshotDirectory { get; } = Path.Combine(Repo.Root, "TestResults", "screenshots");

    protected QaApp App { get; private set; } = null!;

    protected ApiClient Api { get; private set; } = null!;

    /// <summary>Where Kestrel listens, e.g. http://127.0.0.1:41234.</summary>
    protected Uri BaseUrl { get; private set; } = null!;

    /// <summary>The test's first page, in its own context (a new user with an empty localStorage).</summary>
    protected IPage Page { get; private set; } = null!;

    /// <summary>
    /// Settings for the fixture's app on top of the test defaults. No model answers unless a fixture asks: most
    /// tests count answers exactly, and model answers are written into the database by the test when it needs one.
    /// </summary>
    protected virtual IDictionary<string, string?> AppSettings => new Dictionary<string, string?> { ["Modules:Answers"] = "false" };

    /// <summary>For a fixture that must start something first (a model fake) to know its settings.</summary>
    protected virtual Task<IDictionary<string, string?>> StartSettingsAsync() => Task.FromResult(AppSettings);

    [OneTimeSetUp]
    public async Task StartBrowserAsync()
    {
        var chromium = Environment.GetEnvironmentVariable("QA_CHROMIUM") ?? "/usr/bin/chromium";
        if (!File.Exists(chromium))
        {
            // Fail every test of the fixture at once with the fix, instead of a launch timeout per test.
            Assert.Fail($"Chromium not found at {chromium}. Install it with: scripts/services.sh install chromium " +
                "(or set QA_CHROMIUM to a Chromium binary).");
        }

        App = await QaApp.StartAsync(await StartSettingsAsync(), kestrel: true);
        BaseUrl = new Uri(App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Single(a => a.StartsWith("http://", StringComparison.Ordinal)));
        Api = new ApiClient(new HttpClient { BaseAddress = BaseUrl });

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ChromiumArgs,
            Timeout = 30_000,
        });
    }

    [OneTimeTearDown]
    public async Task StopBrowserAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
        Api?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }

    [SetUp]
    public async Task OpenPageAsync() => Page = await NewPageAsync();

    [TearDown]
    public async Task CloseContextsAsync()
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        var name = TestContext.CurrentContext.Test.MethodName;
        var index = 0;
        foreach (var page in _contexts.SelectMany(c => c.Pages).Where(p => p.Url != "about:blank"))
        {
            var suffix = index++ == 0 ? "" : $"-{index}";
            await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, $"{name}{suffix}.png"), FullPage = true });
        }

        foreach (var context in _contexts)
        {
            await context.CloseAsync();
        }

        _contexts.Clear();
        // An uncaught exception or a CSP violation in a page is a bug even when the assertions passed.
        Assert.That(TakePageErrors(), Is.Empty, "script errors in the page");
    }

    /// <summary>The uncaught script errors and CSP violations seen so far; a test that provokes one takes it here.</summary>
    protected string[] TakePageErrors()
    {
        var errors = new List<string>();
        while (_pageErrors.TryDequeue(out var error))
        {
            errors.Add(error);
        }

        return [.. errors];
    }

    /// <summary>A screenshot in the middle of a test (the end of each test takes its own).</summary>
    protected static Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        return page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, $"{name}.png"), FullPage = true });
    }

    /// <summary>A page in a new context: another user, as in a second browser. Phones pass their viewport.</summary>
    protected async Task<IPage> NewPageAsync(int width = 1280, int height = 900)
    {
        var context = await _browser!.NewContextAsync(new()
        {
            BaseURL = BaseUrl.ToString(),
            ViewportSize = new() { Width = width, Height = height },
            DeviceScaleFactor = 1,
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        // Short enough that a broken page fails the test quickly, long enough for a loaded CI machine.
        context.SetDefaultTimeout(10_000);
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        page.PageError += (_, error) => _pageErrors.Enqueue($"{page.Url}: {error}");
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                _pageErrors.Enqueue($"{page.Url}: {message.Text}");
            }
        };
        return page;
    }

    protected async Task<long> CourseIdAsync(string name) =>
        (await Api.GetJsonAsync("/api/courses")).GetProperty("items").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == name).GetProperty("id").GetInt64();

    protected async Task<JsonElement> AskAsync(long courseId, string text) => await Api.AskAsync(courseId, text);

    /// <summary>A model's answer written straight into the database, as the Answers module would save it.</summary>
    protected async Task<long> InsertModelAnswerAsync(long questionId, int slot, string model, string text)
    {
        await using var connection = new NpgsqlConnection(App.PostgresConnectionString);
        return await connection.ExecuteScalarAsync<long>("""
            insert into answers (question_id, author_id, llm_slot, llm_model, text, created_at, last_activity_at)
            values (@QuestionId, null, @Slot, @Model, @Text, now(), now())
            returning id
            """, new { QuestionId = questionId, Slot = slot, Model = model, Text = text });
    }

    /// <summary>The text of every item of a list, in page order.</summary>
    protected static Task<IReadOnlyList<string>> TextsAsync(IPage page, string listSelector, string textSelector) =>
        page.Locator($"{listSelector} > li {textSelector}").AllTextContentsAsync();
}
