using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using QaMonolith.Shared.Contracts;
using QaMonolith.Shared.Outbox;

namespace QaMonolith.Api;

internal static class AnswerEndpoints
{
    private const string Columns = "id, question_id, text, upvotes, created_at, last_activity_at, llm_model";

    internal const string FirstPageSql = $"""
        select {Columns} from answers
        where question_id = @ParentId
        order by last_activity_at desc, id desc
        limit @Take
        """;

    internal const string NextPageSql = $"""
        select {Columns} from answers
        where question_id = @ParentId and (last_activity_at, id) < (@LastActivityAt, @Id)
        order by last_activity_at desc, id desc
        limit @Take
        """;

    private const string GetSql = $"""
        select {Columns},
               coalesce(@UserId is not null and exists (
                   select 1 from answer_votes v where v.answer_id = a.id and v.user_id = @UserId), false) as upvoted_by_me
        from answers a
        where id = @Id
        """;

    private const string QuestionExistsSql = "select exists (select 1 from questions where id = @Id)";


    // The answers_count trigger bumps the question's answer_count in this same transaction.
    private const string InsertSql = $"""
        with question as (select id, course_id from questions where id = @QuestionId)
        insert into answers (question_id, author_id, text, created_at, last_activity_at)
        select id, @AuthorId, @Text, now(), now() from question
        returning {Columns}, (select course_id from question) as course_id
        """;

    private sealed record AnswerRow(long Id, long QuestionId, string Text, int Upvotes, DateTime CreatedAt, DateTime LastActivityAt, string? LlmModel)
    {
        public Answer ToAnswer() => new(Id, QuestionId, Text, Upvotes, CreatedAt, LastActivityAt,
            LlmModel is null ? AnswerAuthor.User : AnswerAuthor.Llm(LlmModel), UpvotedByMe: false);
    }

    private sealed record VotedAnswerRow(long Id, long QuestionId, string Text, int Upvotes, DateTime CreatedAt, DateTime LastActivityAt, string? LlmModel, bool UpvotedByMe)
    {
        public Answer ToAnswer() => new AnswerRow(Id, QuestionId, Text, Upvotes, CreatedAt, LastActivityAt, LlmModel).ToAnswer() with { UpvotedByMe = UpvotedByMe };
    }

    private sealed record InsertedAnswer(long Id, long QuestionId, string Text, int Upvotes, DateTime CreatedAt, DateTime LastActivityAt, string? LlmModel, long CourseId);

    public static void MapAnswers(this IEndpointRouteBuilder api)
    {
        api.MapGet("/questions/{questionId}/answers", ListAnswers).WithName("ListAnswers").WithTags("Answers")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/questions/{questionId}/answers", PostAnswer).WithName("PostAnswer").WithTags("Answers")
            .Accepts<PostTextRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        // Not in the design's table, but the Location of a created answer points here.
        api.MapGet("/answers/{answerId}", GetAnswer).WithName("GetAnswer").WithTags("Answers")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<Results<Ok<Answer>, ProblemHttpResult>> GetAnswer(string answerId, HttpRequest request, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        if (!Input.TryId(answerId, "answerId", out var id, out var problem)
            || !Input.TryUser(request, required: false, out var user, out problem))
        {
            return problem;
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<VotedAnswerRow>(new CommandDefinition(
            GetSql, new { Id = id, UserId = user }, cancellationToken: cancellationToken));
        return row is null ? Problems.NotFound("answer", id) : TypedResults.Ok(row.ToAnswer());
    }

    private static async Task<Results<Ok<Page<Answer>>, ProblemHttpResult>> ListAnswers(
        string questionId, string? limit, string? cursor, HttpRequest request, NpgsqlDataSource db, PageCache cache, ReaderVotes votes, CancellationToken cancellationToken)
    {
        if (!ListRequest.TryParse(questionId, "questionId", CursorScopes.Question, limit, cursor, request, out var list, out var problem))
        {
            return problem;
        }

        var id = list.ParentId;
        async Task<bool> QuestionExists(CancellationToken ct)
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(QuestionExistsSql, new { Id = id }, cancellationToken: ct));
        }

        var rows = await list.RowsAsync(cache, CacheScopes.QuestionAnswers(id), FirstPageSql, NextPageSql, (sql, parameters, ct) => LoadAsync(db, sql, parameters, ct),
            QuestionExists, cancellationToken);
        if (rows is null)
        {
            return Problems.NotFound("question", id);
        }

        var page = Page<Answer>.Slice(rows, list.Limit, a => new Cursor(CursorScopes.Question, id, a.LastActivityAt, a.Id));
        var voted = await votes.AmongAsync(list.User, answers: true, [.. page.Items.Select(a => a.Id)], cancellationToken);
        return TypedResults.Ok(voted.Count == 0 ? page : page with { Items = [.. page.Items.Select(a => a with { UpvotedByMe = voted.Contains(a.Id) })] });
    }

    private static async Task<IReadOnlyList<Answer>> LoadAsync(NpgsqlDataSource db, string sql, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<AnswerRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)))
            .Select(row => row.ToAnswer()).ToArray();
    }

    private static Task<Results<Created<Answer>, ProblemHttpResult>> PostAnswer(
        string questionId, HttpContext context, PostWriter writer, CancellationToken cancellationToken) =>
        writer.PostAsync(context, PostKind.Answer, questionId, async (transaction, post, ct) =>
        {
            var row = await transaction.Connection!.QuerySingleOrDefaultAsync<InsertedAnswer>(new CommandDefinition(
                InsertSql, new { QuestionId = post.ParentId, AuthorId = post.User, post.Text }, transaction, cancellationToken: ct));
            if (row is null)
            {
                return null;
            }

            var answer = new AnswerRow(row.Id, row.QuestionId, row.Text, row.Upvotes, row.CreatedAt, row.LastActivityAt, row.LlmModel).ToAnswer();
            return new SavedPost<Answer>(answer, $"/api/answers/{answer.Id}",
                [OutboxMessage.AnswerCreated(new AnswerCreated(row.CourseId, answer.QuestionId, answer))],
                [CacheScopes.QuestionAnswers(answer.QuestionId), CacheScopes.CourseQuestions(row.CourseId)]);
        }, cancellationToken);
}
