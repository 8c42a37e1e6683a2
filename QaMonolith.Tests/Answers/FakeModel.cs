using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace QaMonolith.Tests.Answers;

public enum FakeProtocol
{
    /// <summary>OpenAI chat completions: <c>POST {base}/chat/completions</c>.</summary>
    ChatCompletions,

    /// <summary>The course's llm-api: <c>POST {"question"}</c> → <c>[{"generated_text"}]</c>.</summary>
    LlmApi,
}

/// <summary>One request the fake received: its body, and what the model is asked (the user message or the question).</summary>
public sealed record ModelRequest(int Number, string Path, JsonElement Body, string Prompt, DateTime ReceivedAt)
{
    /// <summary>The system and user messages joined (chat), or the question field (llm-api).</summary>
    public string AllText { get; init; } = Prompt;
}

/// <summary>What the fake answers: a status (200 with <see cref="Text"/>, or an error), and optionally a Retry-After.</summary>
public sealed record ModelReply(int Status = 200, string? Text = null, TimeSpan? RetryAfter = null)
{
    public static ModelReply Error(int status, TimeSpan? retryAfter = null) => new(status, null, retryAfter);
}

/// <summary>
/// A language model faked only at its HTTP protocol: a real Kestrel server on 127.0.0.1, port chosen by the OS,
/// that records every request and answers what <see cref="Respond"/> says (by default a short answer that quotes
/// the question). Tests script outages, 429s, slow answers and held requests through it.
/// </summary>
public sealed class FakeModel : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ModelRequest> _requests = new();
    private int _count;
    private int _streamed;

    private FakeModel(WebApplication app, FakeProtocol protocol)
    {
        _app = app;
        Protocol = protocol;
    }

    public FakeProtocol Protocol { get; }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>What the app's Llm:Endpoint is set to.</summary>
    public Uri Endpoint => Protocol == FakeProtocol.ChatCompletions ? new Uri(BaseAddress, "v1") : new Uri(BaseAddress, "generate");

    public string Provider => Protocol == FakeProtocol.ChatCompletions ? "OpenAI" : "LlmApi";

    public Func<ModelRequest, CancellationToken, Task<ModelReply>> Respond { get; set; } = (r, _) => Task.FromResult(new ModelReply(Text: DefaultAnswer(r)));

    /// <summary>How a streamed reply's text is cut into chunks; by default word by word, each with its leading space.</summary>
    public Func<ModelRequest, string, IEnumerable<string>> Chunks { get; set; } = (_, text) => Words(text);

    /// <summary>Awaited before each chunk of a streamed reply is sent (its index); a test holds a stream here.</summary>
    public Func<ModelRequest, int, CancellationToken, Task> BeforeChunk { get; set; } = (_, _, _) => Task.CompletedTask;

    /// <summary>Requests that asked for a streamed reply (<c>"stream": true</c>).</summary>
    public int StreamedCount => Volatile.Read(ref _streamed);

    public IReadOnlyList<ModelRequest> Requests => [.. _requests];

    public int RequestCount => Volatile.Read(ref _count);

    public static string DefaultAnswer(ModelRequest request) => $"Answer {request.Number}: a short reply to \"{request.Prompt}\".";

    /// <summary>The settings that point an app at this fake.</summary>
    public Dictionary<string, string?> Settings(string model = "fake-model") => new()
    {
        ["Llm:Provider"] = Provider,
        ["Llm:Endpoint"] = Endpoint.ToString(),
        ["Llm:Model"] = model,
        ["Llm:RetryDelay"] = "00:00:00.020",
        ["Llm:MaxRetryDelay"] = "00:00:02",
        ["Llm:BreakDuration"] = "00:00:00.500",
        ["Llm:Timeout"] = "00:00:05",
    };

    public static async Task<FakeModel> StartAsync(FakeProtocol protocol)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeModel(app, protocol);
        if (protocol == FakeProtocol.ChatCompletions)
        {
            app.MapPost("/v1/chat/completions", fake.ChatAsync);
        }
        else
        {
            app.MapPost("/generate", fake.GenerateAsync);
        }

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return fake;
    }

    private async Task ChatAsync(HttpContext context)
    {
        var body = await ReadAsync(context);
        var messages = body.GetProperty("messages").EnumerateArray().ToArray();
        var user = messages.Last(m => m.GetProperty("role").GetString() == "user").GetProperty("content").GetString() ?? "";
        var all = string.Join("\n", messages.Select(m => m.GetProperty("content").GetString()));
        var request = Record(context, body, user) with { AllText = all };
        var reply = await Respond(request, context.RequestAborted);
        if (await WriteErrorAsync(context, reply))
        {
            return;
        }

        var model = body.TryGetProperty("model", out var m) ? m.GetString() : "fake";
        if (body.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True)
        {
            await StreamAsync(context, request, model, reply.Text ?? "");
            return;
        }

        await context.Response.WriteAsJsonAsync(new
        {
            id = $"chatcmpl-{request.Number}",
            @object = "chat.completion",
            created = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            model,
            choices = new[] { new { index = 0, message = new { role = "assistant", content = reply.Text ?? "" }, finish_reason = "stop" } },
            usage = new { prompt_tokens = 10, completion_tokens = 10, total_tokens = 20 },
        });
    }

    /// <summary>Server-sent events as OpenAI sends them: a chunk per piece, a last one with finish_reason, then [DONE].</summary>
    private async Task StreamAsync(HttpContext context, ModelRequest request, string? model, string text)
    {
        Interlocked.Increment(ref _streamed);
        context.Response.ContentType = "text/event-stream";
        var ct = context.RequestAborted;
        object Chunk(object delta, string? finish) => new
        {
            id = $"chatcmpl-{request.Number}",
            @object = "chat.completion.chunk",
            created = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            model,
            choices = new[] { new { index = 0, delta, finish_reason = finish } },
        };

        async Task SendAsync(object chunk)
        {
            await context.Response.WriteAsync($"data: {JsonSerializer.Serialize(chunk)}\n\n", ct);
            await context.Response.Body.FlushAsync(ct);
        }

        var index = 0;
        foreach (var piece in Chunks(request, text))
        {
            await BeforeChunk(request, index, ct);
            await SendAsync(Chunk(new { role = index++ == 0 ? "assistant" : null, content = piece }, null));
        }

        await SendAsync(Chunk(new { }, "stop"));
        await context.Response.WriteAsync("data: [DONE]\n\n", ct);
    }

    private static IEnumerable<string> Words(string text)
    {
        var start = 0;
        for (var i = 1; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == ' ')
            {
                yield return text[start..i];
                start = i;
            }
        }
    }

    private async Task GenerateAsync(HttpContext context)
    {
        var body = await ReadAsync(context);
        var question = body.GetProperty("question").GetString() ?? "";
        var request = Record(context, body, question);
        var reply = await Respond(request, context.RequestAborted);
        if (await WriteErrorAsync(context, reply))
        {
            return;
        }

        // A text-generation server echoes the prompt before its continuation.
        await context.Response.WriteAsJsonAsync(new[] { new { generated_text = question + " " + (reply.Text ?? "") } });
    }

    private ModelRequest Record(HttpContext context, JsonElement body, string prompt)
    {
        var request = new ModelRequest(Interlocked.Increment(ref _count), context.Request.Path, body, prompt, DateTime.UtcNow);
        _requests.Enqueue(request);
        return request;
    }

    private static async Task<JsonElement> ReadAsync(HttpContext context) =>
        (await JsonDocument.ParseAsync(context.Request.Body)).RootElement.Clone();

    private static async Task<bool> WriteErrorAsync(HttpContext context, ModelReply reply)
    {
        if (reply.Status == 200)
        {
            return false;
        }

        context.Response.StatusCode = reply.Status;
        if (reply.RetryAfter is { } after)
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(after.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        await context.Response.WriteAsJsonAsync(new { error = new { message = $"fake error {reply.Status}", type = "fake" } });
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
