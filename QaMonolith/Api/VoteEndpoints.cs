using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using QaMonolith.Shared.Contracts;

namespace QaMonolith.Api;

internal sealed record VoteState(int Upvotes, bool UpvotedByMe);

/// <summary>
/// Upvotes on questions and answers: the same statements over two pairs of tables. One statement per request does
/// the vote row and the counter together; the vote's primary key makes a repeat a no-op, and the counter's row
/// lock makes concurrent voters count exactly once each.
/// </summary>
internal static class VoteEndpoints
{
    /// <summary>A votable table: its name, its vote table and column, and the column naming the list it sits in.</summary>
    private sealed record Target(string Noun, string Items, string Votes, string VoteKey, string Parent, Func<long, string> ScopeOf)
    {
        // Upvoting counts as activity and moves the item up its list; removing an upvote does not move it.
        public string UpvoteSql { get; } = $"""
            with target as (select id, {Parent} as parent_id from {Items} where id = @Id),
            added as (
                insert into {Votes} ({VoteKey}, user_id) select id, @UserId from target
                on conflict do nothing returning {VoteKey}),
            counted as (
                update {Items} set upvotes = upvotes + 1, last_activity_at = greatest(last_activity_at, now())
                where id = (select {VoteKey} from added) returning upvotes)
            select t.parent_id, exists (select 1 from added) as changed,
                   (select upvotes from counted) as upvotes
            from target t
            """;

        public string RemoveSql { get; } = $"""
            with target as (select id, {Parent} as parent_id from {Items} where id = @Id),
            removed as (
                delete from {Votes} where {VoteKey} = (select id from target) and user_id = @UserId returning {VoteKey}),
            counted as (
                update {Items} set upvotes = upvotes - 1
                where id = (select {VoteKey} from removed) returning upvotes)
            select t.parent_id, exists (select 1 from removed) as changed,
                   (select upvotes from counted) as upvotes
            from target t
            """;

        public string CountSql { get; } = $"select upvotes from {Items} where id = @Id";
    }

    private sealed record VoteRow(long ParentId, bool Changed, int? Upvotes);

    private static readonly Target Questions = new("question", "questions", "question_votes", "question_id", "course_id", CacheScopes.CourseQuestions);
    private static readonly Target Answers = new("answer", "answers", "answer_votes", "answer_id", "question_id", CacheScopes.QuestionAnswers);

    public static void MapVotes(this IEndpointRouteBuilder api)
    {
        var questions = api.MapGroup("/questions/{questionId}/upvote").WithTags("Votes")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        questions.MapPut("/", (string questionId, HttpRequest request, NpgsqlDataSource db, PageCache cache, CancellationToken ct) =>
            VoteAsync(Questions, upvote: true, questionId, request, db, cache, ct)).WithName("UpvoteQuestion");
        questions.MapDelete("/", (string questionId, HttpRequest request, NpgsqlDataSource db, PageCache cache, CancellationToken ct) =>
            VoteAsync(Questions, upvote: false, questionId, request, db, cache, ct)).WithName("RemoveQuestionUpvote");

        var answers = api.MapGroup("/answers/{answerId}/upvote").WithTags("Votes")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        answers.MapPut("/", (string answerId, HttpRequest request, NpgsqlDataSource db, PageCache cache, CancellationToken ct) =>
            VoteAsync(Answers, upvote: true, answerId, request, db, cache, ct)).WithName("UpvoteAnswer");
        answers.MapDelete("/", (string answerId, HttpRequest request, NpgsqlDataSource db, PageCache cache, CancellationToken ct) =>
            VoteAsync(Answers, upvote: false, answerId, request, db, cache, ct)).WithName("RemoveAnswerUpvote");
    }

    private static async Task<Results<Ok<VoteState>, ProblemHttpResult>> VoteAsync(
        Target target, bool upvote, string rawId, HttpRequest request, NpgsqlDataSource db, PageCache cache, CancellationToken cancellationToken)
    {
        if (!Input.TryId(rawId, $"{target.Noun}Id", out var id, out var problem)
            || !Input.TryUser(request, required: true, out var user, out problem))
        {
            return problem;
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<VoteRow>(new CommandDefinition(
            upvote ? target.UpvoteSql : target.RemoveSql, new { Id = id, UserId = user }, cancellationToken: cancellationToken));
        if (row is null)
        {
            return Problems.NotFound(target.Noun, id);
        }

        if (row is { Changed: true, Upvotes: { } counted })
        {
            await cache.InvalidateAsync(target.ScopeOf(row.ParentId), CacheScopes.ReaderVotes(user!.Value));
            return TypedResults.Ok(new VoteState(counted, upvote));
        }

        // Nothing changed: read the count in a new statement. A racing request by the same user (a double click) may
        // have recorded the change while this one waited for its vote row, after this statement's snapshot was taken.
        var upvotes = await connection.ExecuteScalarAsync<int>(new CommandDefinition(target.CountSql, new { Id = id }, cancellationToken: cancellationToken));
        return TypedResults.Ok(new VoteState(upvotes, upvote));
    }
}
