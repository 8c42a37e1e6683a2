using Dapper;
using Npgsql;
using QaMonolith.Shared.Contracts;

namespace QaMonolith.Api;

/// <summary>
/// Which items of a page the reader has upvoted (<c>upvotedByMe</c>). A reader's votes change only by that reader's
/// own PUT and DELETE, which drop <see cref="CacheScopes.ReaderVotes"/>; so each reader's votes are loaded once and
/// served from the cache until their next vote. A reader with more votes than <see cref="MaxCached"/> is asked about
/// each page instead, so no reader can make the cache hold an unbounded set.
/// </summary>
internal sealed class ReaderVotes(NpgsqlDataSource db, PageCache cache)
{
    public const int MaxCached = 2_000;

    private const string LoadSql = """
        (select false as is_answer, question_id as id from question_votes where user_id = @UserId limit @Take)
        union all
        (select true, answer_id from answer_votes where user_id = @UserId limit @Take)
        """;

    private const string QuestionsAmongSql = "select question_id from question_votes where user_id = @UserId and question_id = any(@Ids)";

    private const string AnswersAmongSql = "select answer_id from answer_votes where user_id = @UserId and answer_id = any(@Ids)";

    private sealed record Votes(HashSet<long> Questions, HashSet<long> Answers)
    {
        public int Size => Questions.Count + Answers.Count + 1;
    }

    private sealed record VoteRow(bool IsAnswer, long Id);

    /// <summary>The ids among <paramref name="ids"/> that <paramref name="reader"/> has upvoted (none for no reader).</summary>
    public async Task<HashSet<long>> AmongAsync(Guid? reader, bool answers, IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        if (reader is not { } user || ids.Count == 0)
        {
            return [];
        }

        var votes = await cache.GetOrLoadAsync(CacheScopes.ReaderVotes(user), ct => LoadAsync(user, ct), v => v.Size, cancellationToken);
        if (votes is not null)
        {
            var set = answers ? votes.Answers : votes.Questions;
            return [.. ids.Where(set.Contains)];
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<long>(new CommandDefinition(
            answers ? AnswersAmongSql : QuestionsAmongSql, new { UserId = user, Ids = ids.ToArray() }, cancellationToken: cancellationToken))];
    }

    /// <summary>All of the reader's votes, or null (never cached) when there are too many to keep.</summary>
    private async Task<Votes?> LoadAsync(Guid user, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<VoteRow>(new CommandDefinition(LoadSql, new { UserId = user, Take = MaxCached + 1 }, cancellationToken: cancellationToken))).AsList();
        var questions = rows.Where(r => !r.IsAnswer).Select(r => r.Id).ToHashSet();
        var answers = rows.Where(r => r.IsAnswer).Select(r => r.Id).ToHashSet();
        return questions.Count > MaxCached || answers.Count > MaxCached || rows.Count > MaxCached ? null : new Votes(questions, answers);
    }
}
