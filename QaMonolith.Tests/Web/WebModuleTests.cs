using System.Net;
using System.Text.RegularExpressions;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Web;

/// <summary>
/// What the Web module serves, over WebApplicationFactory's in-memory server (the browser tests cover Kestrel),
/// and what its files may not contain.
/// </summary>
public sealed partial class WebModuleTests
{
    private static readonly string WebRoot = Path.Combine(Repo.Root, "QaMonolith", "wwwroot");

    private QaApp _app = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _app = await QaApp.StartAsync(new Dictionary<string, string?> { ["Modules:Answers"] = "false" });
        _client = _app.CreateClient();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    [TestCase("/", "/js/home.js")]
    [TestCase("/courses/3", "/js/course.js")]
    [TestCase("/questions/42", "/js/question.js")]
    public async Task Pages_AreServedAsHtml_WithTheirScript_AndASecurityPolicyThatForbidsInlineScript(string path, string script)
    {
        using var response = await _client.GetAsync(path);

        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
        Assert.That(body, Does.Contain($"<script type=\"module\" src=\"{script}\"></script>"));
        AssertSecurityHeaders(response);
    }

    [TestCase("/js/api.js", "text/javascript")]
    [TestCase("/css/site.css", "text/css")]
    [TestCase("/favicon.svg", "image/svg+xml")]
    public async Task Assets_AreServed_WithTheSameHeaders(string path, string mediaType)
    {
        using var response = await _client.GetAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo(mediaType));
        AssertSecurityHeaders(response);
        Assert.That(response.Headers.CacheControl?.NoCache, Is.True, "unversioned files are revalidated");
        Assert.That(response.Headers.ETag, Is.Not.Null);
    }

    [TestCase("/")]
    [TestCase("/questions/42")]
    [TestCase("/js/api.js")]
    public async Task Revalidation_WithTheETag_Is304WithoutABody_AndHeadHasNoBody(string path)
    {
        using var first = await _client.GetAsync(path);
        var etag = first.Headers.ETag!;
        var length = (await first.Content.ReadAsByteArrayAsync()).Length;

        using var again = new HttpRequestMessage(HttpMethod.Get, path);
        again.Headers.IfNoneMatch.Add(etag);
        using var notModified = await _client.SendAsync(again);
        using var stale = new HttpRequestMessage(HttpMethod.Get, path);
        stale.Headers.IfNoneMatch.ParseAdd("\"not-this-one\"");
        using var changed = await _client.SendAsync(stale);
        using var head = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));

        Assert.That(length, Is.Positive);
        Assert.That(notModified.StatusCode, Is.EqualTo(HttpStatusCode.NotModified));
        Assert.That(await notModified.Content.ReadAsByteArrayAsync(), Is.Empty);
        Assert.That(changed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await changed.Content.ReadAsByteArrayAsync()).Length, Is.EqualTo(length));
        Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(head.Content.Headers.ContentLength, Is.EqualTo(length));
        Assert.That(await head.Content.ReadAsByteArrayAsync(), Is.Empty);
    }

    [Test]
    public async Task Files_AreServedByteForByte_AsTheyAreInWwwroot()
    {
        foreach (var file in Directory.EnumerateFiles(WebRoot, "*", SearchOption.AllDirectories))
        {
            var path = "/" + Path.GetRelativePath(WebRoot, file).Replace('\\', '/');
            Assert.That(await _client.GetByteArrayAsync(path), Is.EqualTo(await File.ReadAllBytesAsync(file)), path);
        }
    }

    [TestCase("/courses/abc")]
    [TestCase("/questions/1.5")]
    [TestCase("/courses/3/extra")]
    [TestCase("/nothing.html")]
    public async Task PathsThatAreNoPage_Are404ProblemDocuments(string path)
    {
        using var response = await _client.GetAsync(path);

        await Problem.AssertAsync(response, HttpStatusCode.NotFound);
    }

    [Test]
    public async Task TheApi_IsNotShadowedByThePages()
    {
        using var response = await _client.GetAsync("/api/courses/3");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
    }

    [Test]
    public async Task WithTheWebModuleOff_NoPageIsServed_ButTheApiIs()
    {
        await using var app = await QaApp.StartAsync(new Dictionary<string, string?> { ["Modules:Web"] = "false", ["Modules:Answers"] = "false" });
        using var client = app.CreateClient();

        using (var page = await client.GetAsync("/"))
        {
            Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }

        using var api = await client.GetAsync("/api/courses");
        Assert.That(api.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public void TheBuild_CopiesEveryWebFile_NextToTheBinaries()
    {
        var source = Directory.GetFiles(WebRoot, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(WebRoot, f));
        var copied = Path.Combine(AppContext.BaseDirectory, "wwwroot");

        Assert.That(source.Where(f => !File.Exists(Path.Combine(copied, f))), Is.Empty);
    }

    [Test]
    public void TheHtml_HasNoInlineScriptStyleOrHandlers()
    {
        foreach (var file in Directory.GetFiles(WebRoot, "*.html"))
        {
            var html = File.ReadAllText(file);
            Assert.Multiple(() =>
            {
                Assert.That(InlineScript().IsMatch(html), Is.False, $"{file}: a <script> without src");
                Assert.That(InlineHandler().IsMatch(html), Is.False, $"{file}: an on...= handler attribute");
                Assert.That(html, Does.Not.Contain("style=").And.Not.Contain("<style"), $"{file}: inline style");
            });
        }
    }

    [Test]
    public void TheScripts_NeverParseHtml_TheyRenderText()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(WebRoot, "js"), "*.js"))
        {
            Assert.That(HtmlSinks().Matches(File.ReadAllText(file)).Select(m => m.Value), Is.Empty, file);
        }
    }

    private static void AssertSecurityHeaders(HttpResponseMessage response)
    {
        var csp = string.Join(", ", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Multiple(() =>
        {
            Assert.That(csp, Does.Contain("script-src 'self'"));
            Assert.That(csp, Does.Contain("default-src 'none'"));
            Assert.That(csp, Does.Contain("frame-ancestors 'none'"));
            Assert.That(csp, Does.Not.Contain("unsafe-inline").And.Not.Contain("unsafe-eval"));
            Assert.That(response.Headers.GetValues("X-Content-Type-Options"), Is.EqualTo(new[] { "nosniff" }));
            Assert.That(response.Headers.GetValues("X-Frame-Options"), Is.EqualTo(new[] { "DENY" }));
            Assert.That(response.Headers.Contains("Referrer-Policy"), Is.True);
        });
    }

    [GeneratedRegex(@"<script(?![^>]*\bsrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex(@"\son[a-z]+\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex InlineHandler();

    [GeneratedRegex(@"innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment|\beval\(|new Function\(")]
    private static partial Regex HtmlSinks();
}
