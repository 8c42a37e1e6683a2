using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace QaMonolith.Answers;

/// <summary>
/// Times every call to the model and counts its failures. It sits inside the resilience pipeline, so each attempt is
/// measured on its own: a retried answer shows as a failure and a success.
/// </summary>
internal sealed class MeteredChatClient(IChatClient inner, AnswersMetrics metrics) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await base.GetResponseAsync(messages, options, cancellationToken);
            metrics.ModelCalled(started, null);
            return response;
        }
        catch (Exception ex)
        {
            metrics.ModelCalled(started, ex);
            throw;
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        await using var updates = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            // A yield cannot stand in a try with a catch; the move to the next update can.
            try
            {
                if (!await updates.MoveNextAsync())
                {
                    break;
                }
            }
            catch (Exception ex)
            {
                metrics.ModelCalled(started, ex);
                throw;
            }

            yield return updates.Current;
        }

        metrics.ModelCalled(started, null);
    }
}
