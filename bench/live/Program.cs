using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;

// Opens N sockets to /ws spread over T course topics, writes question.created entries to qa:events at a steady
// rate (the shape the outbox relay writes), and reports connections held, the app's memory and the time from
// XADD to receipt. Each entry carries its send time (a Stopwatch timestamp of this process) in the question text.
// With --post, each event is instead a real question POSTed to the API (a new user each), so the time runs from
// the POST through the commit, the outbox relay and qa:events to the socket (courses 1..T must exist).
var options = BenchOptions.Parse(args);
var deliveries = new LatencyLog(options.ExpectedDeliveries, (int)(options.Rate * options.Seconds));
var sockets = new List<BenchSocket>(options.Sockets);

var connectClock = Stopwatch.StartNew();
var failedConnects = 0;
for (var start = 0; start < options.Sockets; start += options.ConnectWave)
{
    var wave = Enumerable.Range(start, Math.Min(options.ConnectWave, options.Sockets - start))
        .Select(i => BenchSocket.ConnectAsync(options.Url, $"course:{(i % options.Topics) + 1}", deliveries));
    foreach (var socket in await Task.WhenAll(wave))
    {
        if (socket is null)
        {
            failedConnects++;
        }
        else
        {
            sockets.Add(socket);
        }
    }
}

var connectTime = connectClock.Elapsed;
Console.WriteLine($"connected {sockets.Count} of {options.Sockets} sockets in {connectTime.TotalSeconds:0.0} s ({failedConnects} failed)");
var rssConnected = Rss(options.AppPid);

using var http = new HttpClient { BaseAddress = options.Url };
await using var redis = await ConnectionMultiplexer.ConnectAsync(options.Redis);
var db = redis.GetDatabase();
var key = (RedisKey)(options.Prefix + "qa:events");
var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
var period = TimeSpan.FromSeconds(1.0 / options.Rate);
var total = (int)(options.Rate * options.Seconds);
var clock = Stopwatch.StartNew();
for (var k = 0; k < total; k++)
{
    var due = period * k;
    if (due > clock.Elapsed)
    {
        await Task.Delay(due - clock.Elapsed);
    }

    var courseId = (k % options.Topics) + 1;
    if (options.Post)
    {
        using var post = new HttpRequestMessage(HttpMethod.Post, $"/api/courses/{courseId}/questions")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { text = $"bench:{k}:{Stopwatch.GetTimestamp()}" }), Encoding.UTF8, "application/json"),
        };
        post.Headers.Add("X-User-Id", Guid.NewGuid().ToString());
        using var response = await http.SendAsync(post);
        if ((int)response.StatusCode != 201)
        {
            Console.WriteLine($"POST {k}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        continue;
    }

    var now = DateTime.UtcNow;
    var data = new
    {
        courseId,
        question = new
        {
            id = k + 1,
            courseId,
            text = $"bench:{k}:{Stopwatch.GetTimestamp()}",
            upvotes = 0,
            answerCount = 0,
            createdAt = now,
            lastActivityAt = now,
            upvotedByMe = false,
        },
    };
    await db.StreamAddAsync(key, [new("type", "question.created"), new("data", JsonSerializer.Serialize(data, json)), new("outboxId", k + 1)]);
}

var publishTime = clock.Elapsed;
var expected = (long)total * options.Sockets / options.Topics;
var drainUntil = Stopwatch.StartNew();
while (deliveries.Count < expected && drainUntil.Elapsed < TimeSpan.FromSeconds(10))
{
    await Task.Delay(100);
}

var rssEnd = Rss(options.AppPid);
var held = sockets.Count(s => s.IsOpen);
var latencies = deliveries.SortedMilliseconds();
var firsts = deliveries.SortedFirstMilliseconds();
Console.WriteLine($"""
    sockets: {options.Sockets} over {options.Topics} topics ({options.Sockets / options.Topics} per topic); held open to the end: {held}
    events: {total} at {options.Rate}/s for {publishTime.TotalSeconds:0.0} s; deliveries {deliveries.Count} of {expected} expected
    app RSS: {rssConnected} after connecting, {rssEnd} at the end
    {(options.Post ? "POST" : "XADD")} -> receipt, every delivery: median {Percentile(latencies, 0.50):0.00} ms, p99 {Percentile(latencies, 0.99):0.00} ms, max {(latencies.Length > 0 ? latencies[^1] : double.NaN):0.00} ms
    {(options.Post ? "POST" : "XADD")} -> first receipt of each event: median {Percentile(firsts, 0.50):0.00} ms, p99 {Percentile(firsts, 0.99):0.00} ms, max {(firsts.Length > 0 ? firsts[^1] : double.NaN):0.00} ms
    """);

Console.WriteLine($"slowest first receipts (event index: ms): {deliveries.Slowest(8)}");
await Task.WhenAll(sockets.Select(s => s.CloseAsync()));
return held == options.Sockets && deliveries.Count == expected ? 0 : 1;

static double Percentile(double[] sorted, double p) =>
    sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

static string Rss(int pid)
{
    if (pid <= 0 || !File.Exists($"/proc/{pid}/status"))
    {
        return "n/a";
    }

    var lines = File.ReadAllLines($"/proc/{pid}/status");
    string Field(string name) => lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?[name.Length..].Trim() ?? "?";
    return $"{Field("VmRSS:")} (peak {Field("VmHWM:")})";
}

internal sealed record BenchOptions(Uri Url, string Redis, string Prefix, int Sockets, int Topics, double Rate, double Seconds, int AppPid, int ConnectWave, bool Post)
{
    public long ExpectedDeliveries => (long)(Rate * Seconds) * Sockets / Topics;

    public static BenchOptions Parse(string[] args)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            map[args[i].TrimStart('-')] = args[i + 1];
        }

        string Get(string name, string fallback) => map.TryGetValue(name, out var v) ? v : fallback;
        return new BenchOptions(
            new Uri(Get("url", "http://127.0.0.1:8080")),
            Get("redis", "127.0.0.1:6380"),
            Get("prefix", ""),
            int.Parse(Get("sockets", "1000"), CultureInfo.InvariantCulture),
            int.Parse(Get("topics", "10"), CultureInfo.InvariantCulture),
            double.Parse(Get("rate", "100"), CultureInfo.InvariantCulture),
            double.Parse(Get("seconds", "20"), CultureInfo.InvariantCulture),
            int.Parse(Get("app-pid", "0"), CultureInfo.InvariantCulture),
            int.Parse(Get("connect-wave", "200"), CultureInfo.InvariantCulture),
            Get("post", "false") == "true");
    }
}

/// <summary>Every receipt's latency, and the first receipt of each event, written lock-free into preallocated arrays.</summary>
internal sealed class LatencyLog
{
    private readonly long[] _ticks;
    private readonly long[] _first;
    private long _count;

    public LatencyLog(long capacity, int events)
    {
        _ticks = new long[capacity];
        _first = new long[events];
        Array.Fill(_first, long.MaxValue);
    }

    public long Count => Interlocked.Read(ref _count);

    public void Add(int eventIndex, long elapsedTicks)
    {
        var i = Interlocked.Increment(ref _count) - 1;
        if (i < _ticks.Length)
        {
            _ticks[i] = elapsedTicks;
        }

        if ((uint)eventIndex < (uint)_first.Length)
        {
            var seen = Volatile.Read(ref _first[eventIndex]);
            while (elapsedTicks < seen)
            {
                var was = Interlocked.CompareExchange(ref _first[eventIndex], elapsedTicks, seen);
                if (was == seen)
                {
                    break;
                }

                seen = was;
            }
        }
    }

    /// <summary>The events whose first receipt took longest, to tell a warm-up from a pause in the middle of a run.</summary>
    public string Slowest(int count) => string.Join(", ", _first
        .Select((ticks, index) => (ticks, index))
        .Where(e => e.ticks != long.MaxValue)
        .OrderByDescending(e => e.ticks)
        .Take(count)
        .Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.index}: {e.ticks * 1000.0 / Stopwatch.Frequency:0}")));

    public double[] SortedMilliseconds() => Sorted(_ticks.AsSpan(0, (int)Math.Min(Count, _ticks.Length)));

    public double[] SortedFirstMilliseconds() => Sorted(_first.Where(t => t != long.MaxValue).ToArray());

    private static double[] Sorted(ReadOnlySpan<long> ticks)
    {
        var ms = new double[ticks.Length];
        for (var i = 0; i < ticks.Length; i++)
        {
            ms[i] = ticks[i] * 1000.0 / Stopwatch.Frequency;
        }

        Array.Sort(ms);
        return ms;
    }
}

internal sealed class BenchSocket(ClientWebSocket socket, Task pump)
{
    private static readonly byte[] Marker = Encoding.ASCII.GetBytes("bench:");

    public bool IsOpen => socket.State == WebSocketState.Open && !pump.IsCompleted;

    public static async Task<BenchSocket?> ConnectAsync(Uri app, string topic, LatencyLog log)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await socket.ConnectAsync(new UriBuilder(app) { Scheme = "ws", Path = "/ws", Query = $"topics={topic}" }.Uri, timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            Console.Error.WriteLine($"connect failed: {ex.Message}");
            socket.Dispose();
            return null;
        }

        return new BenchSocket(socket, PumpAsync(socket, log));
    }

    public async Task CloseAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            await pump;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // Closing is best effort at the end of a run.
        }
        finally
        {
            socket.Dispose();
        }
    }

    private static async Task PumpAsync(ClientWebSocket socket, LatencyLog log)
    {
        var buffer = new byte[8192];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                var now = Stopwatch.GetTimestamp();
                var frame = buffer.AsSpan(0, result.Count);
                var at = frame.IndexOf(Marker);
                if (at >= 0)
                {
                    // "bench:{event index}:{send timestamp}"
                    var rest = frame[(at + Marker.Length)..];
                    var colon = rest.IndexOf((byte)':');
                    var end = rest.IndexOf((byte)'"');
                    if (colon > 0 && end > colon
                        && int.TryParse(Encoding.ASCII.GetString(rest[..colon]), CultureInfo.InvariantCulture, out var index)
                        && long.TryParse(Encoding.ASCII.GetString(rest[(colon + 1)..end]), CultureInfo.InvariantCulture, out var sent))
                    {
                        log.Add(index, now - sent);
                    }
                }
            }
        }
        catch (WebSocketException)
        {
            // The socket broke; IsOpen reports it.
        }
    }
}
