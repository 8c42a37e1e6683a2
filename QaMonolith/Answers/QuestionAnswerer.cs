using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using QaMonolith.Shared.Contracts;
using QaMonolith.Shared.Outbox;
using QaMonolith.Shared.Redis;
using StackExchange.Redis;

namespace QaMonolith.Answers;

/// <summary>The question an entry names is not in the database: nothing to answer, however often it is delivered.</summary>
internal sealed class QuestionNotFoundException(long questionId) : Exception($"Question {questionId} does not exist");

/// <summary>
/// Answers one question: asks the writer for every slot not saved yet, in parallel, and saves each answer with its
/// answer.created outbox row in one transaction as soon as it is written. The slot's unique key makes a redelivery
/// harmless, and a slot already saved is never asked for again. Waits out an outage instead of giving up.
/// </summary>
internal sealed class QuestionAnswerer(
    NpgsqlDataSource dataSource,
    IAnswerWriter writer,
    OutboxSignal outbox,
    IConnectionMultiplexer redis,
    RedisKeys keys,
    IOptions<LlmOptions> llmOptions,
    AnswersMetrics metrics,
    ILogger<QuestionAnswerer> logger)
{
    private const string LoadSql = """
        select q.id as question_id, q.course_id, c.name as course_name, q.text,
               exists (select 1 from answer_requests r where r.question_id = q.id) as owed
        from questions q join courses c on c.id = q.course_id
        where q.id = @QuestionId
        """;

    private const string SavedSlotsSql = "select llm_slot from answers where question_id = @QuestionId and llm_slot is not null";

    // The answers_count trigger bumps the question's answer_count in this same transaction.
    private const string InsertSql = """
        with question as (select id, course_id from questions where id = @QuestionId),
        inserted as (
            insert into answers (question_id, llm_slot, llm_model, text, created_at, last_activity_at)
            select id, @Slot, @Model, @Text, now(), now() from question
            on conflict (question_id, llm_slot) do nothing
            returning id, question_id, text, upvotes, created_at, last_activity_at, llm_model)
        select i.id, i.question_id, i.text, i.upvotes, i.created_at, i.last_activity_at, i.llm_model, q.course_id
        from inserted i cross join question q
        """;

    private const string CompleteSql = "delete from answer_requests where question_id = @QuestionId";

    private const string MarkDeadSql = "update answer_requests set dead_at = now(), last_error = @Error where question_id = @QuestionId";

    private sealed record QuestionState(long QuestionId, long CourseId, string CourseName, string Text, bool Owed);

    private sealed record InsertedAnswer(long Id, long QuestionId, string Text, int Upvotes, DateTime CreatedAt, DateTime LastActivityAt, string LlmModel, long CourseId);

    /// <summary>Returns once every slot of the question is saved; throws when it cannot be answered as delivered.</summary>
    public async Task AnswerAsync(QuestionAsked asked, CancellationToken cancellationToken)
    {
        var state = await LoadAsync(asked.QuestionId, cancellationToken) ?? throw new QuestionNotFoundException(asked.QuestionId);
        if (!state.Owed)
        {
            return;
        }

        var question = new QuestionToAnswer(state.QuestionId, state.CourseId, state.CourseName, state.Text);
        var saved = await SavedSlotsAsync(question.QuestionId, cancellationToken);
        for (var outages = 0; ; outages++)
        {
            try
            {
                var plan = await writer.PlanAsync(question, cancellationToken);
                var missing = Enumerable.Range(0, plan.Slots).Where(slot => !saved.Contains(slot)).ToArray();
                await WhenAllAsync(missing.Select(slot => WriteAndSaveAsync(question, plan, slot, cancellationToken)));
                break;
            }
            catch (Exception ex) when (Failures.IsOutage(ex) && !cancellationToken.IsCancellationRequested)
            {
                var delay = ModelPipeline.OutageDelay(ex, outages, llmOptions.Value);
                logger.LogWarning("Answering question {QuestionId} waits {Delay} for the model: {Error}", question.QuestionId, delay, ex.Message);
                await Task.Delay(delay, cancellationToken);
                saved = await SavedSlotsAsync(question.QuestionId, cancellationToken);
            }
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(CompleteSql, new { question.QuestionId }, cancellationToken: cancellationToken));
    }

    /// <summary>The sweep leaves a dead-lettered question to people.</summary>
    public async Task MarkDeadAsync(long questionId, string error, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(MarkDeadSql, new { QuestionId = questionId, Error = error }, cancellationToken: cancellationToken));
    }

    private async Task WriteAndSaveAsync(QuestionToAnswer question, AnswerPlan plan, int slot, CancellationToken cancellationToken)
    {
        var draft = await plan.WriteAsync(slot, cancellationToken);
        InsertedAnswer? row;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            row = await connection.QuerySingleOrDefaultAsync<InsertedAnswer>(new CommandDefinition(
                InsertSql, new { question.QuestionId, Slot = slot, draft.Model, draft.Text }, transaction, cancellationToken: cancellationToken));
            if (row is null)
            {
                // Another worker saved this slot first (a redelivery racing the original): nothing to announce.
                return;
            }

            var answer = new Answer(row.Id, row.QuestionId, row.Text, row.Upvotes, row.CreatedAt, row.LastActivityAt, AnswerAuthor.Llm(row.LlmModel), UpvotedByMe: false);
            await OutboxMessage.AddAsync(transaction, [OutboxMessage.AnswerCreated(new AnswerCreated(row.CourseId, row.QuestionId, answer, slot))], cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        outbox.Notify();
        metrics.Generated(draft.Model);
        logger.LogDebug("Saved answer {AnswerId} in slot {Slot} of question {QuestionId}", row.Id, slot, question.QuestionId);
        await InvalidateCachesAsync(row.QuestionId, row.CourseId);
    }

    /// <summary>The Api's first-page caches of the question's answers and of the course's questions (answerCount) are stale now.</summary>
    private async Task InvalidateCachesAsync(long questionId, long courseId)
    {
        try
        {
            var subscriber = redis.GetSubscriber();
            var channel = keys.Channel(CacheScopes.Channel);
            await Task.WhenAll(
                subscriber.PublishAsync(channel, CacheScopes.QuestionAnswers(questionId)),
                subscriber.PublishAsync(channel, CacheScopes.CourseQuestions(courseId)));
        }
        catch (RedisException ex)
        {
            // A process that cannot hear the channel bypasses its cache until it can, so nothing stale is served.
            logger.LogDebug(ex, "Could not publish the cache invalidation for question {QuestionId}", questionId);
        }
    }

    /// <summary>Waits for every slot, so one failure does not abandon answers still being written; then throws them all.</summary>
    private static async Task WhenAllAsync(IEnumerable<Task> tasks)
    {
        var all = Task.WhenAll(tasks);
        try
        {
            await all;
        }
        catch when (all.Exception is { InnerExceptions.Count: > 1 } aggregate)
        {
            throw aggregate.Flatten();
        }
    }

    private async Task<QuestionState?> LoadAsync(long questionId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<QuestionState>(new CommandDefinition(
            LoadSql, new { QuestionId = questionId }, cancellationToken: cancellationToken));
    }

    private async Task<HashSet<int>> SavedSlotsAsync(long questionId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<int>(new CommandDefinition(
            SavedSlotsSql, new { QuestionId = questionId }, cancellationToken: cancellationToken))).ToHashSet();
    }
}
