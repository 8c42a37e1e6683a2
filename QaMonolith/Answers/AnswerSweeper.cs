using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using QaMonolith.Shared.Contracts;
using QaMonolith.Shared.Data;
using QaMonolith.Shared.Outbox;
using StackExchange.Redis;

namespace QaMonolith.Answers;

/// <summary>
/// Postgres is the source of truth, and a stream entry can be trimmed or lost with Redis. At start and every
/// SweepInterval this finds questions still owed answers (a row in <c>answer_requests</c>) that no entry will bring
/// back (none pending, none undelivered, none waiting in the outbox) and asks again through the outbox. It also
/// removes consumers long gone from the group.
/// </summary>
internal sealed class AnswerSweeper(
    NpgsqlDataSource dataSource,
    QuestionStream stream,
    ConsumerName consumerName,
    OutboxSignal outbox,
    DatabaseState database,
    IOptions<AnswersOptions> options,
    ILogger<AnswerSweeper> logger) : BackgroundService
{
    private const int BatchSize = 500;

    // Locked for the whole sweep, so two processes sweeping at once re-ask a question once: the second skips it.
    // The worker's completion (a delete of the row) waits for that lock too, so an entry cannot be acked, and so
    // vanish from the pending list, between our read of Redis and our commit.
    private const string CandidatesSql = """
        select r.question_id, q.course_id, c.name as course_name, q.text, q.created_at
        from answer_requests r
        join questions q on q.id = r.question_id
        join courses c on c.id = q.course_id
        where r.dead_at is null and r.requested_at < now() - @MinAge
          and not exists (
              select 1 from outbox o
              where o.published_at is null and o.type = @Type and (o.data ->> 'questionId')::bigint = r.question_id)
        order by r.requested_at
        limit @Take
        for update of r skip locked
        """;

    private const string TouchSql = "update answer_requests set requested_at = now() where question_id = any(@Ids)";

    private sealed record Candidate(long QuestionId, long CourseId, string CourseName, string Text, DateTime CreatedAt);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (database.IsMigrated)
                {
                    await SweepAsync(settings, stoppingToken);
                    await PruneConsumersAsync(settings);
                    await Task.Delay(settings.SweepInterval, stoppingToken);
                }
                else
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200), stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Answers sweep failed; trying again in {SweepInterval}", settings.SweepInterval);
                try
                {
                    await Task.Delay(settings.SweepInterval, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Re-asks the questions nothing in flight will answer; returns how many.</summary>
    public async Task<int> SweepAsync(AnswersOptions settings, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var candidates = (await connection.QueryAsync<Candidate>(new CommandDefinition(
            CandidatesSql, new { MinAge = settings.SweepMinAge, Type = EventTypes.QuestionAsked, Take = BatchSize },
            transaction, cancellationToken: cancellationToken))).AsList();
        if (candidates.Count == 0)
        {
            return 0;
        }

        if (await stream.QuestionsInFlightAsync() is not { } inFlight)
        {
            logger.LogInformation("Answers sweep skipped: too many entries in flight to tell what is missing");
            return 0;
        }

        var lost = candidates.Where(c => !inFlight.Contains(c.QuestionId)).ToArray();
        // Every candidate waits another SweepMinAge before it is looked at again, in flight or not.
        await connection.ExecuteAsync(new CommandDefinition(
            TouchSql, new { Ids = candidates.Select(c => c.QuestionId).ToArray() }, transaction, cancellationToken: cancellationToken));
        if (lost.Length > 0)
        {
            await OutboxMessage.AddAsync(transaction, [.. lost.Select(c => OutboxMessage.QuestionAsked(
                new QuestionAsked(c.QuestionId, c.CourseId, c.CourseName, c.Text, c.CreatedAt)))], cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (lost.Length > 0)
        {
            outbox.Notify();
            logger.LogWarning("Answers sweep asked again for {Count} questions no stream entry would answer: {QuestionIds}",
                lost.Length, string.Join(",", lost.Select(c => c.QuestionId)));
        }

        return lost.Length;
    }

    private async Task PruneConsumersAsync(AnswersOptions settings)
    {
        try
        {
            var removed = await stream.PruneConsumersAsync(consumerName.Value ?? "", settings.ConsumerExpiry);
            if (removed.Count > 0)
            {
                logger.LogInformation("Removed consumers idle for over {Expiry} with nothing pending: {Consumers}", settings.ConsumerExpiry, string.Join(",", removed));
            }
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOGROUP", StringComparison.Ordinal) || ex.Message.Contains("no such key", StringComparison.Ordinal))
        {
            // No worker has created the group yet.
        }
    }
}
