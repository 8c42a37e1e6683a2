using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace QaMonolith.Answers;

/// <summary>
/// The course's llm-api contract as an <see cref="IChatClient"/>: <c>POST {"question": prompt}</c> answers
/// <c>[{"generated_text": prompt + answer}]</c>. Such a server completes raw text, so the prompt is the messages
/// joined, and its echo is stripped from the start of the reply.
/// </summary>
internal sealed class LlmApiChatClient(HttpClient http, Uri endpoint, string model) : IChatClient
{
    private sealed record Request(string Question);

    private sealed record Generation(string? GeneratedText);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var prompt = string.Join("\n\n", messages.Select(m => m.Text));
        using var response = await http.PostAsJsonAsync(endpoint, new Request(prompt), Json, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw ModelCallException.ForStatus(
                (int)response.StatusCode, ModelCallException.ParseRetryAfter(response.Headers.RetryAfter, DateTimeOffset.UtcNow), body);
        }

        Generation[]? generations;
        try
        {
            generations = await response.Content.ReadFromJsonAsync<Generation[]>(Json, cancellationToken);
        }
        catch (JsonException ex)
        {
            throw new ModelCallException("The llm-api server's reply is not [{\"generated_text\": ...}]", transient: false, innerException: ex);
        }

        var text = generations is [{ GeneratedText: { } generated }, ..] ? StripEcho(generated, prompt) : "";
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text)) { ModelId = options?.ModelId ?? model };
    }

    /// <summary>A text-generation server returns the prompt followed by its continuation.</summary>
    public static string StripEcho(string generated, string prompt)
    {
        var trimmed = generated.TrimStart();
        var echo = prompt.Trim();
        return trimmed.StartsWith(echo, StringComparison.Ordinal) ? trimmed[echo.Length..].Trim() : generated.Trim();
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // The contract has no streaming: the whole answer arrives as one update.
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
        // The HttpClient belongs to the module, not to this client.
    }
}
