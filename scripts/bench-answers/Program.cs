using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server.Features;
using StackExchange.Redis;

// The Answers pipeline end to end: POST a question → outbox → qa:questions → worker → model → 3 answers committed
// → 3 answer.created on qa:events. The model is a chat-completions fake in this process that answers at once, so
// what is measured is the pipeline, not a model. Usage (scripts/bench-answers.sh passes these):
//   AnswersBench --app QaMonolith.dll --app-port P --postgres CONN --redis CONN [--seconds 20] [--posters 8] [--max-concurrency 4] [--rate 0]
// or, to point an app started by hand at the same fake (e.g. for a demo with curl), until Ctrl-C:
//   AnswersBench --fake-only PORT
var options = Args.Parse(args);
var seconds = int.Parse(options.GetValueOrDefault("seconds", "20"), CultureInfo.InvariantCulture);
var posters = int.Parse(options.GetValueOrDefault("posters", "8"), CultureInfo.InvariantCulture);
var maxConcurrency = options.GetValueOrDefault("max-concurrency", "4");
// Questions per second to post at, spread over the posters; 0 posts as fast as the API answers.
var rate = double.Parse(options.GetValueOrDefault("rate", "0"), CultureInfo.InvariantCulture);
const int AnswersPerQuestion = 3;

// The instant model.
var fakeBuilder = WebApplication.CreateSlimBuilder();
fakeBuilder.WebHost.UseUrls($"http://127.0.0.1:{options.GetValueOrDefault("fake-only", "0")}");
fakeBuilder.Logging.ClearProviders();
var fake = fakeBuilder.Build();
var modelCalls = 0;
fake.MapPost("/v1/chat/completions", async (HttpContext context) =>
{
    var n = Interlocked.Increment(ref modelCalls);
    var text = $"Answer {n} from the fake model: check the course notes on this topic.";
    using var body = await System.Text.Json.JsonDocument.ParseAsync(context.Request.Body);
    if (!body.RootElement.TryGetProperty("stream", out var stream) || stream.ValueKind != System.Text.Json.JsonValueKind.True)
    {
        await context.Response.WriteAsJsonAsync(new
        {
            id = $"chatcmpl-{n}",
            @object = "chat.completion",
            created = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            model = "bench-model",
            choices = new[] { new { index = 0, message = new { role = "assistant", content = text }, finish_reason = "stop" } },
        });
        return;
    }

    // Streamed as OpenAI does (the app asks for it): a chunk a word, a last chunk with finish_reason, then [DONE];
    // all at once, so the pipeline and not the model is measured.
    context.Response.ContentType = "text/event-stream";
    var words = text.Split(' ');
    for (var i = 0; i <= words.Length; i++)
    {
        object delta = i < words.Length ? new { content = (i == 0 ? "" : " ") + words[i] } : new { };
        var chunk = new
        {
            id = $"chatcmpl-{n}",
            @object = "chat.completion.chunk",
            created = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            model = "bench-model",
            choices = new[] { new { index = 0, delta, finish_reason = i < words.Length ? null : "stop" } },
        };
        await context.Response.WriteAsync($"data: {System.Text.Json.JsonSerializer.Serialize(chunk)}\n\n");
    }

    await context.Response.WriteAsync("data: [DONE]\n\n");
});
await fake.StartAsync();
if (options.ContainsKey("fake-only"))
{
    Console.WriteLine($"chat-completions fake at {fake.Urls.First()}/v1 (model bench-model); Ctrl-C stops it");
    await fake.WaitForShutdownAsync();
    return 0;
}

var fakeUrl = fake.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

// The app, as its own process in Release, exactly as deployed but for the settings below.
var appPort = int.Parse(options["app-port"], CultureInfo.InvariantCulture);
var prefix = $"bench:{Guid.NewGuid():N}:";
var start = new ProcessStartInfo("dotnet", [options["app"], "--urls", $"http://127.0.0.1:{appPort}"])
{
    RedirectStandardOutput = true,
    RedirectStandardError = true,
    Environment =
    {
        ["ConnectionStrings__Postgres"] = options["postgres"],
        ["ConnectionStrings__Redis"] = options["redis"],
        ["Redis__KeyPrefix"] = prefix,
        ["Llm__Provider"] = "OpenAI",
        ["Llm__Endpoint"] = fakeUrl + "/v1",
        ["Llm__Model"] = "bench-model",
        ["Llm__MaxConcurrency"] = maxConcurrency,
        ["RateLimits__PerIpPerMinute"] = "0",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__QaMonolith.Answers.AnswersWorker"] = "Information",
    },
};
using var app = Process.Start(start)!;
var appLog = new ConcurrentQueue<string>();
app.OutputDataReceived += (_, e) => { if (e.Data is not null) appLog.Enqueue(e.Data); };
app.ErrorDataReceived += (_, e) => { if (e.Data is not null) appLog.Enqueue(e.Data); };
app.BeginOutputReadLine();
app.BeginErrorReadLine();

using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{appPort}") };
try
{
    await WaitReadyAsync(http, app);

    // Watches qa:events from now on with a blocking XREAD on a connection of its own.
    var completedAt = new ConcurrentDictionary<long, long>();
    var answersSeen = new ConcurrentDictionary<long, int>();
    using var stop = new CancellationTokenSource();
    await using var redis = await ConnectionMultiplexer.ConnectAsync(options["redis"] + ",syncTimeout=10000,asyncTimeout=10000,protocol=resp2");
    var watcher = WatchEventsAsync(redis.GetDatabase(), prefix + "qa:events", answersSeen, completedAt, stop.Token);

    var postedAt = new ConcurrentDictionary<long, long>();
    var postErrors = 0;
    var courses = (await http.GetFromJsonAsync<JsonElement>("/api/courses")).GetProperty("items").EnumerateArray().Select(c => c.GetProperty("id").GetInt64()).ToArray();
    var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
    var firstPost = Stopwatch.GetTimestamp();
    var scheduled = -1L;
    var loops = Enumerable.Range(0, posters).Select(async poster =>
    {
        for (var i = 0; Stopwatch.GetTimestamp() < deadline; i++)
        {
            if (rate > 0)
            {
                var due = firstPost + (long)(Interlocked.Increment(ref scheduled) / rate * Stopwatch.Frequency);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/courses/{courses[(poster + i) % courses.Length]}/questions")
            {
                Content = JsonContent.Create(new { text = $"Benchmark question {poster}-{i}: how does a B-tree index speed up a range query?" }),
            };
            // One user per post: a user may ask one question a minute.
            request.Headers.Add("X-User-Id", Guid.NewGuid().ToString());
            var sent = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request);
            if (!response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref postErrors);
                continue;
            }

            var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
            postedAt[id] = sent;
        }
    }).ToArray();
    await Task.WhenAll(loops);
    var postingEnded = Stopwatch.GetTimestamp();

    // Let the pipeline finish what was posted.
    var drainDeadline = Stopwatch.GetTimestamp() + (60 * Stopwatch.Frequency);
    while (postedAt.Keys.Any(id => !completedAt.ContainsKey(id)) && Stopwatch.GetTimestamp() < drainDeadline)
    {
        await Task.Delay(50);
    }

    await stop.CancelAsync();
    await watcher;

    var done = postedAt.Keys.Where(completedAt.ContainsKey).ToArray();
    var latencies = done.Select(id => Stopwatch.GetElapsedTime(postedAt[id], completedAt[id]).TotalMilliseconds).Order().ToArray();
    var lastDone = done.Length == 0 ? postingEnded : done.Max(id => completedAt[id]);
    var elapsed = Stopwatch.GetElapsedTime(firstPost, lastDone).TotalSeconds;
    Console.WriteLine($"posting time          {Stopwatch.GetElapsedTime(firstPost, postingEnded).TotalSeconds:0.0} s with {posters} posters{(rate > 0 ? $" at {rate} questions/s" : " as fast as they can")}, Llm:MaxConcurrency={maxConcurrency}");
    Console.WriteLine($"questions posted      {postedAt.Count} ({postErrors} failed posts)");
    Console.WriteLine($"questions completed   {done.Length} (3 answers committed and 3 answer.created on qa:events)");
    Console.WriteLine($"model calls           {modelCalls}");
    Console.WriteLine($"throughput            {done.Length / elapsed:0.0} questions/s through the whole pipeline ({done.Length * AnswersPerQuestion / elapsed:0} answers/s)");
    Console.WriteLine($"POST -> third answer  median {Percentile(latencies, 0.50):0.0} ms, p99 {Percentile(latencies, 0.99):0.0} ms, max {(latencies.Length == 0 ? 0 : latencies[^1]):0.0} ms");
    return done.Length == postedAt.Count && !postedAt.IsEmpty ? 0 : 1;
}
finally
{
    app.Kill(entireProcessTree: true);
    await app.WaitForExitAsync();
    foreach (var line in appLog.Where(l => l.Contains("fail", StringComparison.OrdinalIgnoreCase) || l.Contains("Answers:", StringComparison.Ordinal)).Take(20))
    {
        Console.Error.WriteLine($"app: {line}");
    }

    await fake.StopAsync();
}

static double Percentile(double[] sorted, double p) =>
    sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

static async Task WaitReadyAsync(HttpClient http, Process app)
{
    for (var i = 0; i < 600; i++)
    {
        if (app.HasExited)
        {
            throw new InvalidOperationException($"the app exited with {app.ExitCode}");
        }

        try
        {
            if ((await http.GetAsync("/health/ready")).IsSuccessStatusCode)
            {
                return;
            }
        }
        catch (HttpRequestException)
        {
            // Not listening yet.
        }

        await Task.Delay(100);
    }

    throw new TimeoutException("the app did not become ready in 60 s");
}

static async Task WatchEventsAsync(IDatabase db, string stream, ConcurrentDictionary<long, int> seen, ConcurrentDictionary<long, long> completedAt, CancellationToken stop)
{
    var last = "$";
    while (!stop.IsCancellationRequested)
    {
        var result = await db.ExecuteAsync("XREAD", "COUNT", "1000", "BLOCK", "200", "STREAMS", stream, last);
        if (result.IsNull || result.Length == 0)
        {
            continue;
        }

        var now = Stopwatch.GetTimestamp();
        foreach (var entry in (RedisResult[])result[0][1]!)
        {
            last = (string)entry[0]!;
            var fields = (RedisResult[])entry[1]!;
            string? type = null, data = null;
            for (var f = 0; f < fields.Length; f += 2)
            {
                switch ((string?)fields[f])
                {
                    case "type": type = (string?)fields[f + 1]; break;
                    case "data": data = (string?)fields[f + 1]; break;
                }
            }

            if (type == "answer.created" && data is not null)
            {
                var questionId = JsonDocument.Parse(data).RootElement.GetProperty("questionId").GetInt64();
                if (seen.AddOrUpdate(questionId, 1, (_, n) => n + 1) == AnswersPerQuestion)
                {
                    completedAt[questionId] = now;
                }
            }
        }
    }
}

internal static class Args
{
    public static Dictionary<string, string> Parse(string[] args)
    {
        var parsed = new Dictionary<string, string>();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            parsed[args[i].TrimStart('-')] = args[i + 1];
        }

        foreach (var required in parsed.ContainsKey("fake-only") ? [] : new[] { "app", "app-port", "postgres", "redis" })
        {
            if (!parsed.ContainsKey(required))
            {
                throw new ArgumentException($"--{required} is required");
            }
        }

        return parsed;
    }
}
