using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace QaMonolith.Answers;

/// <summary>
/// What happens to one delivered entry: answered and acked; or, when it fails, left pending to be claimed and
/// tried again, until its MaxDeliveries-th failure moves it to <c>qa:questions:dead</c>.
/// </summary>
internal sealed class DeliveryHandler(QuestionStream stream, QuestionAnswerer answerer, IOptions<AnswersOptions> options, ILogger<DeliveryHandler> logger)
{
    /// <summary>Answers one entry and acks it; never throws, so a failure is logged here and the entry stays pending.</summary>
    public async Task HandleAsync(Delivery delivery, string consumer, CancellationToken cancellationToken)
    {
        // Off the loop's stack at once, so a question that answers synchronously cannot delay the next read.
        await Task.Yield();
        try
        {
            if (delivery.Values.Length > 0)
            {
                await answerer.AnswerAsync(delivery.Question(), cancellationToken);
            }

            // An entry trimmed from the stream while pending has no fields left; the sweep covers its question.
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("Stopped while answering entry {EntryId}; it stays pending for the next start", (string?)delivery.Id);
            return;
        }
        catch (Exception ex)
        {
            await FailAsync(delivery, consumer, ex, cancellationToken);
            return;
        }

        try
        {
            await stream.AckAsync(delivery.Id);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Everything is saved; the next delivery finds nothing owed and acks it then.
            logger.LogWarning(ex, "Could not ack entry {EntryId}; it will be acked when delivered again", (string?)delivery.Id);
        }
    }

    private async Task FailAsync(Delivery delivery, string consumer, Exception error, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (delivery.Deliveries < settings.MaxDeliveries)
        {
            logger.LogWarning(error, "Answering entry {EntryId} failed on delivery {Delivery} of {MaxDeliveries}; retried once idle for {ClaimIdleTime}",
                (string?)delivery.Id, delivery.Deliveries, settings.MaxDeliveries, settings.ClaimIdleTime);
            return;
        }

        try
        {
            if (delivery.TryQuestionId() is { } questionId)
            {
                await answerer.MarkDeadAsync(questionId, error.Message, cancellationToken);
            }

            await stream.DeadLetterAsync(delivery, consumer, error);
            logger.LogError(error, "Entry {EntryId} failed {Deliveries} times and moved to {DeadStream}",
                (string?)delivery.Id, delivery.Deliveries, Shared.Redis.StreamNames.QuestionsDead);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not dead-letter entry {EntryId}; it stays pending and is tried again", (string?)delivery.Id);
        }
    }
}
