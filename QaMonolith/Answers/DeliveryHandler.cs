using System.Diagnostics;
using Microsoft.Extensions.Options;
using QaMonolith.Shared.Telemetry;
using StackExchange.Redis;

namespace QaMonolith.Answers;

/// <summary>
/// What happens to one delivered entry: answered and acked; or, when it fails, left pending to be claimed and
/// tried again, until its MaxDeliveries-th failure moves it to <c>qa:questions:dead</c>.
/// </summary>
internal sealed class DeliveryHandler(QuestionStream stream, QuestionAnswerer answerer, AnswersMetrics metrics, IOptions<AnswersOptions> options, ILogger<DeliveryHandler> logger)
{
    /// <summary>Answers one entry and acks it; never throws, so a failure is logged here and the entry stays pending.</summary>
    public async Task HandleAsync(Delivery delivery, string consumer, CancellationToken cancellationToken)
    {
        // Off the loop's stack at once, so a question that answers synchronously cannot delay the next read.
        await Task.Yield();
        // The question's trace, continued from its POST: the model calls, the saves and the answer.created rows are in it.
        using var activity = TraceContext.StartConsumer(AnswersMetrics.Source, "answers.question", delivery.Field(TraceContext.Field));
        activity?.SetTag("messaging.message.id", (string?)delivery.Id).SetTag("qa.deliveries", delivery.Deliveries);
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
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
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
            metrics.DeadLettered();
            logger.LogError(error, "Entry {EntryId} failed {Deliveries} times and moved to {DeadStream}",
                (string?)delivery.Id, delivery.Deliveries, Shared.Redis.StreamNames.QuestionsDead);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not dead-letter entry {EntryId}; it stays pending and is tried again", (string?)delivery.Id);
        }
    }
}
