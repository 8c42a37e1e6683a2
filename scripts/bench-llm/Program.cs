using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using QaMonolith.Answers;
using QaMonolith.Tests.Answers;
using QaMonolith.Tests.Infrastructure;
using QaMonolith.Tests.Live;
using StackExchange.Redis;

// Two measurements for issue 8 (scripts/bench-llm.sh passes the servers):
//   tokens: time to first token and tokens/s of the Local provider (LocalModel + LocalChatClient) on the tiny
//           next-byte GGUF the tests write: the plumbing's cost, not a real model's speed.
//   deltas: 100 answers generated at once by a streaming chat-completions fake (N tokens each, one every D ms), each
//           watched by its own socket: what answer.delta costs Redis (XADDs, bytes) and the sockets (frames, bytes).
// Usage: LlmBench --postgres CONN --redis HOST:PORT [--generations 100] [--tokens 200] [--token-ms 20] [--runs 40]
// For a demo through scripts/run.sh: LlmBench --write-model FILE writes the tiny model; LlmBench --watch
// ws://HOST:PORT/ws?topics=question:ID prints every frame the socket gets for --seconds (default 30).
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 0; i + 1 < args.Length; i += 2)
{
    options[args[i].TrimStart('-')] = args[i + 1];
}

int Option(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

if (options.TryGetValue("write-model", out var modelFile))
{
    Console.WriteLine($"wrote {TinyModel.Write(modelFile)}");
    return 0;
}

if (options.TryGetValue("watch", out var url))
{
    using var socket = new System.Net.WebSockets.ClientWebSocket();
    using var until = new CancellationTokenSource(TimeSpan.FromSeconds(Option("seconds", 30)));
    await socket.ConnectAsync(new Uri(url), until.Token);
    var buffer = new byte[1 << 16];
    try
    {
        while (true)
        {
            var length = 0;
            System.Net.WebSockets.WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, length, buffer.Length - length), until.Token);
                length += result.Count;
            }
            while (!result.EndOfMessage);
            Console.WriteLine(System.Text.Encoding.UTF8.GetString(buffer, 0, length));
        }
    }
    catch (OperationCanceledException)
    {
        return 0;
    }
}

await TokensAsync(Option("runs", 40));
await DeltasAsync(options["postgres"], options["redis"], Option("generations", 100), Option("tokens", 200), Option("token-ms", 20));
return 0;

static async Task TokensAsync(int runs)
{
    var dir = Directory.CreateTempSubdirectory("qa-bench-llm-");
    try
    {
        var path = TinyModel.Write(Path.Combine(dir.FullName, "tiny.gguf"));
        var load = Stopwatch.StartNew();
        using var model = LocalModel.Load(new LlmOptions { Provider = LlmProvider.Local, ModelPath = path, ContextSize = 1024 }, NullLogger.Instance);
        Console.WriteLine($"tiny model: {new FileInfo(path).Length / 1024} KB, loaded in {load.Elapsed.TotalMilliseconds:F0} ms");
        var client = new LocalChatClient(model);
        var messages = ChatAnswerWriter.Prompt(new QuestionToAnswer(1, 1, "Databases", "What does MVCC give a reader, and what does it cost the writer?"));
        var promptTokens = model.Prompt(messages).Length + 1;
        var chat = new ChatOptions { Temperature = 0, MaxOutputTokens = 60 };
        for (var i = 0; i < 3; i++)
        {
            await client.GetResponseAsync(messages, chat);
        }

        foreach (var concurrency in new[] { 1, 4 })
        {
            var ttft = new List<double>();
            var rates = new List<double>();
            var tokens = 0;
            var wall = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
            {
                for (var run = 0; run < runs / concurrency; run++)
                {
                    var (first, total, count) = await GenerateAsync(client, messages, chat);
                    lock (ttft)
                    {
                        ttft.Add(first);
                        rates.Add((count - 1) / ((total - first) / 1000));
                        tokens += count;
                    }
                }
            }));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Local, {concurrency} at once, prompt ~{promptTokens} tokens, 60 new: time to first token median {Median(ttft):F1} ms (p95 {Percentile(ttft, 0.95):F1}), "
                + $"{Median(rates):F0} tokens/s per generation, {tokens / wall.Elapsed.TotalSeconds:F0} tokens/s in all"));
        }
    }
    finally
    {
        dir.Delete(recursive: true);
    }
}

static async Task<(double FirstMs, double TotalMs, int Tokens)> GenerateAsync(LocalChatClient client, IReadOnlyList<ChatMessage> messages, ChatOptions chat)
{
    var clock = Stopwatch.StartNew();
    double first = 0;
    var count = 0;
    await foreach (var _ in client.GetStreamingResponseAsync(messages, chat))
    {
        if (count++ == 0)
        {
            first = clock.Elapsed.TotalMilliseconds;
        }
    }

    return (first, clock.Elapsed.TotalMilliseconds, count);
}

static async Task DeltasAsync(string postgres, string redis, int generations, int tokens, int tokenMs)
{
    await using var fake = await FakeModel.StartAsync(FakeProtocol.ChatCompletions);
    var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    fake.Respond = (_, _) => Task.FromResult(new ModelReply(Text: string.Join(' ', Enumerable.Range(0, tokens).Select(i => $"word{i % 10}"))));
    fake.BeforeChunk = (_, index, ct) => index == 0 ? go.Task.WaitAsync(ct) : Task.Delay(tokenMs, ct);
    var settings = fake.Settings();
    settings["Llm:AnswersPerQuestion"] = "1";
    settings["Llm:MaxConcurrency"] = generations.ToString(CultureInfo.InvariantCulture);
    settings["Llm:Timeout"] = "00:02:00";
    settings["Logging:LogLevel:Default"] = "Warning";
    await using var app = await QaApp.StartAsync(settings, postgres: postgres, redis: redis, kestrel: true);
    using var api = new ApiClient(app.CreateClient());
    var ids = new List<long>();
    for (var i = 0; i < generations; i++)
    {
        ids.Add((await api.AskAsync(1 + (i % 5), $"Benchmark question {i}: how does a B-tree index speed up a range query?", ApiClient.NewUser())).GetProperty("id").GetInt64());
    }

    var sockets = await Task.WhenAll(ids.Select(id => LiveClient.ConnectAsync(app.Address, $"topics=question:{id}")));
    await using var server = await ConnectionMultiplexer.ConnectAsync(redis + ",allowAdmin=true");
    await Eventually.TrueAsync(() => Task.FromResult(fake.RequestCount >= generations), TimeSpan.FromSeconds(60), "every generation to start");
    var before = await RedisStatsAsync(server);
    var deltas = app.Service<AnswerDeltas>();
    var published = deltas.Published;
    var clock = Stopwatch.StartNew();
    go.SetResult();

    var perSocket = await Task.WhenAll(sockets.Select(async socket =>
    {
        var (frames, bytes, deltaBytes, deltaFrames) = (0, 0L, 0L, 0);
        while (true)
        {
            var frame = await socket.NextAsync(TimeSpan.FromSeconds(120));
            frames++;
            var size = JsonSerializer.SerializeToUtf8Bytes(frame).Length;
            bytes += size;
            if (frame.GetProperty("type").GetString() == "answer.delta")
            {
                deltaFrames++;
                deltaBytes += size;
            }
            else if (frame.GetProperty("type").GetString() == "answer.created")
            {
                return (frames, bytes, deltaFrames, deltaBytes);
            }
        }
    }));
    var seconds = clock.Elapsed.TotalSeconds;
    var after = await RedisStatsAsync(server);
    foreach (var socket in sockets)
    {
        await socket.DisposeAsync();
    }

    var sent = deltas.Published - published;
    var deltaFramesAll = perSocket.Sum(s => s.deltaFrames);
    var deltaBytesAll = perSocket.Sum(s => s.deltaBytes);
    var otherBytes = perSocket.Sum(s => s.bytes) - deltaBytesAll;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
        deltas: {generations} generations at once, {tokens} tokens each at one per {tokenMs} ms, all saved in {seconds:F1} s
          Answers published {sent} answer.delta ({sent / seconds:F0}/s in all, {sent / (double)generations / seconds:F1}/s per generation; {tokens} chunks each without the bound)
          Redis: {after.Xadd - before.Xadd} XADDs ({(after.Xadd - before.Xadd) / seconds:F0}/s), {(after.In - before.In) / 1024.0 / seconds:F0} KB/s in, {(after.Out - before.Out) / 1024.0 / seconds:F0} KB/s out, qa:live holds {after.LiveLength} entries
          sockets: {deltaFramesAll} delta frames ({deltaFramesAll / seconds:F0}/s, {deltaBytesAll / 1024.0 / seconds:F0} KB/s, {deltaBytesAll / Math.Max(1, deltaFramesAll)} B each on average) against {perSocket.Sum(s => s.frames) - deltaFramesAll} other frames ({otherBytes / 1024.0:F0} KB in all)
        """));

    async Task<(long Xadd, long In, long Out, long LiveLength)> RedisStatsAsync(ConnectionMultiplexer connection)
    {
        var endpoint = connection.GetServer(connection.GetEndPoints()[0]);
        var info = (await endpoint.InfoAsync("all")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var xadd = info.TryGetValue("cmdstat_xadd", out var stat) ? long.Parse(stat.Split(',')[0].Split('=')[1], CultureInfo.InvariantCulture) : 0;
        var length = await connection.GetDatabase().StreamLengthAsync(app.KeyPrefix + "qa:live");
        return (xadd, long.Parse(info["total_net_input_bytes"], CultureInfo.InvariantCulture), long.Parse(info["total_net_output_bytes"], CultureInfo.InvariantCulture), length);
    }
}

static double Median(List<double> values) => Percentile(values, 0.5);

static double Percentile(List<double> values, double p)
{
    var sorted = values.Order().ToArray();
    return sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}
