using System.Text.Json;
using System.Text.RegularExpressions;
using QaMonolith.Tests.Answers;
using QaMonolith.Tests.Infrastructure;
using static QaMonolith.Tests.Answers.AnswersKit;

namespace QaMonolith.Tests.Telemetry;

/// <summary>The Grafana dashboard and the Prometheus alerts in deploy/ query only metric names the app really exports.</summary>
public sealed partial class DashboardTests
{
    [Test]
    [CancelAfter(60_000)]
    public async Task DashboardAndAlerts_QueryOnlyMetricsTheAppExports()
    {
        var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Repo.Root, "deploy", "grafana", "qamonolith-dashboard.json"))).RootElement;
        var panels = dashboard.GetProperty("panels").EnumerateArray().ToList();
        var expressions = panels
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!))
            .ToList();
        var alerts = await File.ReadAllTextAsync(Path.Combine(Repo.Root, "deploy", "prometheus", "qamonolith-alerts.yml"));
        var names = expressions.Append(alerts).SelectMany(e => MetricName().Matches(e).Select(m => m.Value)).ToHashSet(StringComparer.Ordinal);

        var scrape = await ScrapeAfterEverythingHappenedAsync();

        Assert.Multiple(() =>
        {
            Assert.That(panels.Select(p => p.GetProperty("id").GetInt32()), Is.Unique);
            Assert.That(expressions, Has.Count.GreaterThan(20));
            Assert.That(names, Has.Count.GreaterThan(20));
            Assert.That(names.Where(n => !scrape.Has(n)), Is.Empty, "names the dashboard or the alerts query but /metrics does not export");
        });
    }

    /// <summary>A question answered after one failed model call, and one entry dead-lettered: every counter has a sample.</summary>
    private static async Task<Scrape> ScrapeAfterEverythingHappenedAsync()
    {
        await using var fake = await FakeModel.StartAsync(FakeProtocol.ChatCompletions);
        var failed = 0;
        fake.Respond = (request, _) => Task.FromResult(Interlocked.Exchange(ref failed, 1) == 0
            ? ModelReply.Error(503)
            : new ModelReply(Text: FakeModel.DefaultAnswer(request)));
        await using var app = await QaApp.StartAsync(FastWorker(fake).With("Telemetry:GaugeInterval", "00:00:00.100"));
        using var api = new ApiClient(app.CreateClient());
        using var redis = await RedisAsync(app);
        await WaitForAnswersAsync(api, await AskAsync(api, "What does a write-ahead log guarantee?"), 3);
        await api.AnswerAsync(1, "Durability, before the data pages are written.");
        await redis.GetDatabase().StreamAddAsync(app.KeyPrefix + "qa:questions", [new("type", "question.asked"), new("data", "{}")]);

        Scrape scrape = null!;
        await Eventually.TrueAsync(async () => (scrape = await Scrape.GetAsync(api.Http)).Value("qa_questions_dead_lettered_total") == 1,
            TimeSpan.FromSeconds(20), "the entry dead-lettered");
        return scrape;
    }

    // Every metric the project or its libraries export here starts with one of these; PromQL functions and labels do not.
    [GeneratedRegex(@"\b(qa|http_server|db_client|dotnet|kestrel)_[a-z0-9_]+\b")]
    private static partial Regex MetricName();
}
