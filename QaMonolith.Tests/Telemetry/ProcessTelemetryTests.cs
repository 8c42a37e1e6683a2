using System.Net;
using System.Text.Json;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Telemetry;

/// <summary>
/// A real process as a container runs it: Production settings, only the Answers module. /metrics and /health
/// belong to Shared, so they are served whatever the modules; the Api's routes are not.
/// </summary>
public sealed class ProcessTelemetryTests
{
    private AppProcess _answers = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _answers = await AppProcess.RunHostAsync(new Dictionary<string, string>
    {
        ["DOTNET_ENVIRONMENT"] = "Production",
        ["Modules__Api"] = "false",
        ["Modules__Live"] = "false",
        ["Modules__Web"] = "false",
        ["Telemetry__GaugeInterval"] = "00:00:00.200",
    });

    [OneTimeTearDown]
    public async Task StopAsync() => await _answers.DisposeAsync();

    [Test]
    [CancelAfter(60_000)]
    public async Task AnswersOnly_ServesMetricsAndReady_WithOnlyItsOwnInstruments_ButNoApi()
    {
        using var ready = await _answers.Http.GetAsync("/health/ready");
        using var courses = await _answers.Http.GetAsync("/api/courses");
        Scrape scrape = null!;
        await Eventually.TrueAsync(async () => (scrape = await Scrape.GetAsync(_answers.Http)).Has("qa_questions_pending"),
            TimeSpan.FromSeconds(20), "the group's gauges");

        Assert.Multiple(() =>
        {
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(courses.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "no Api in this process");
            Assert.That(scrape.Value("qa_questions_lag", ("group", "answers")), Is.EqualTo(0));
            Assert.That(scrape.Has("qa_outbox_pending"), Is.True, "the relay runs wherever Answers writes rows");
            Assert.That(scrape.Has("qa_redis_connected"), Is.True);
            Assert.That(scrape.Samples.Where(s => s.Name.StartsWith("qa_live_", StringComparison.Ordinal)), Is.Empty, "a disabled module registers no instruments");
            Assert.That(scrape.Value("target_info", ("qa_modules", "Answers")), Is.EqualTo(1), "the resource names the modules");
        });
    }

    [Test]
    public void Production_LogsOneJsonObjectALine_WithLevelCategoryAndMessage()
    {
        var lines = _answers.Lines.Where(l => l.Length > 0).ToList();
        Assert.That(lines, Is.Not.Empty);
        var logs = lines.Select(line =>
        {
            try
            {
                return JsonDocument.Parse(line).RootElement.Clone();
            }
            catch (JsonException)
            {
                Assert.Fail($"not a JSON line: {line}");
                throw;
            }
        }).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(logs.Select(l => l.GetProperty("LogLevel").GetString()), Has.All.Not.Null);
            Assert.That(logs.Select(l => l.GetProperty("Timestamp").GetString()), Has.All.EndsWith("Z"), "UTC timestamps");
            Assert.That(logs.Select(l => l.GetProperty("Category").GetString()), Has.Some.EqualTo("QaMonolith"));
            Assert.That(logs.Select(l => l.GetProperty("Message").GetString()), Has.Some.EqualTo("QaMonolith modules enabled: Answers"));
        });
    }
}
