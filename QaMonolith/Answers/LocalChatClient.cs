using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;

namespace QaMonolith.Answers;

/// <summary>The in-process model as an <see cref="IChatClient"/>, so the writer treats it like any other provider.</summary>
internal sealed class LocalChatClient(LocalModel model) : IChatClient
{
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var text = new StringBuilder();
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            text.Append(update.Text);
        }

        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text.ToString())) { ModelId = options?.ModelId ?? model.Name };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var modelId = options?.ModelId ?? model.Name;
        var stop = model.UsesChatTemplate ? null : LocalModel.PlainStop;
        var held = "";
        await foreach (var piece in model.GenerateAsync(model.Prompt(messages), options, cancellationToken))
        {
            held += piece;
            // A plain-prompt model that starts a question of its own is done; what might be the start of that
            // stop sequence is held back until the next piece tells.
            var stopAt = stop is null ? -1 : held.IndexOf(stop, StringComparison.Ordinal);
            var keep = stopAt >= 0 ? 0 : StopPrefixLength(held, stop);
            var ready = stopAt >= 0 ? held[..stopAt] : held[..^keep];
            held = held[(held.Length - keep)..];
            if (ready.Length > 0)
            {
                yield return new ChatResponseUpdate(ChatRole.Assistant, ready) { ModelId = modelId };
            }

            if (stopAt >= 0)
            {
                yield break;
            }
        }

        if (held.Length > 0)
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant, held) { ModelId = modelId };
        }
    }

    /// <summary>The length of the longest end of <paramref name="text"/> that <paramref name="stop"/> starts with.</summary>
    private static int StopPrefixLength(string text, string? stop)
    {
        for (var length = Math.Min(text.Length, (stop?.Length ?? 1) - 1); length > 0; length--)
        {
            if (stop!.StartsWith(text[^length..], StringComparison.Ordinal))
            {
                return length;
            }
        }

        return 0;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
        // The weights belong to the module's LocalModel, shared by every answer.
    }
}
