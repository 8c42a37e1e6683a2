using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using QaMonolith.Shared.Contracts;
using QaMonolith.Shared.Outbox;

namespace QaMonolith.Api;

internal sealed record PostTextRequest(string Text);

internal static class QuestionEndpoints
{
    private const string Columns = "id, course_id, text, upvotes, answer_count, created_at, last_activity_at, false as upvoted_by_me";

    internal const string FirstPageSql = $"""
        select {Columns} from questions
        where course_id = @ParentId
        order by last_activity_at desc, id desc
        limit @Take
        """;

    internal const string NextPageSql = $"""
        select {Columns} from questions
        where course_id = @ParentId and (last_activity_at, id) < (@LastActivityAt, @Id)
        order by last_activity_at desc, id desc
        limit @Take
        """;

    private const string GetSql = """
        select id, course_id, text, upvotes, answer_count, created_at, last_activity_at,
               coalesce(@UserId is not null and exists (
                   select 1 from question_votes v where v.question_id = q.id and v.user_id = @UserId), false) as upvoted_by_me
        from questions q
        where id = @Id
        """;


    private const string InsertSql = """
        with course as (select id, name from courses where id = @CourseId),
        inserted as (
            insert into questions (course_id, author_id, text, created_at, last_activity_at)
            select id, @AuthorId, @Text, now(), now() from course
            returning id, course_id, text, upvotes, answer_count, created_at, last_activity_at)
        select i.id, i.course_id, i.text, i.upvotes, i.answer_count, i.created_at, i.last_activity_at, c.name as course_name
        from inserted i cross join course c
        """;

    private sealed record InsertedQuestion(long Id, long CourseId, string Text, int Upvotes, int AnswerCount, DateTime CreatedAt, DateTime LastActivityAt, string CourseName)
    {
        public Question ToQuestion() => new(Id, CourseId, Text, Upvotes, AnswerCount, CreatedAt, LastActivityAt, UpvotedByMe: false);
    }

    public static void MapQuestions(this IEndpointRouteBuilder api)
    {
        api.MapGet("/courses/{courseId}/questions", ListQuestions).WithName("ListQuestions").WithTags("Questions")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/courses/{courseId}/questions", PostQuestion).WithName("PostQuestion").WithTags("Questions")
            .Accepts<PostTextRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        api.MapGet("/questions/{questionId}", GetQuestion).WithName("GetQuestion").WithTags("Questions")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<Results<Ok<Page<Question>>, ProblemHttpResult>> ListQuestions(
        string courseId, string? limit, string? cursor, HttpRequest request, NpgsqlDataSource db, PageCache cache, ReaderVotes votes, CancellationToken cancellationToken)
    {
        if (!ListRequest.TryParse(courseId, "courseId", CursorScopes.Course, limit, cursor, request, out var list, out var problem))
        {
            return problem;
        }

        var id = list.ParentId;
        Task<bool> CourseExists(CancellationToken ct) => CourseEndpoints.ExistsAsync(db, cache, id, ct);
        var rows = await list.RowsAsync(cache, CacheScopes.CourseQuestions(id), FirstPageSql, NextPageSql, (sql, parameters, ct) => LoadAsync(db, sql, parameters, ct),
            CourseExists, cancellationToken);
        if (rows is null)
        {
            return Problems.NotFound("course", id);
        }

        var page = Page<Question>.Slice(rows, list.Limit, q => new Cursor(CursorScopes.Course, id, q.LastActivityAt, q.Id));
        var voted = await votes.AmongAsync(list.User, answers: false, [.. page.Items.Select(q => q.Id)], cancellationToken);
        return TypedResults.Ok(voted.Count == 0 ? page : page with { Items = [.. page.Items.Select(q => q with { UpvotedByMe = voted.Contains(q.Id) })] });
    }

    private static async Task<IReadOnlyList<Question>> LoadAsync(NpgsqlDataSource db, string sql, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<Question>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken))).AsList();
    }

    private static async Task<Results<Ok<Question>, ProblemHttpResult>> GetQuestion(string questionId, HttpRequest request, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        if (!Input.TryId(questionId, "questionId", out var id, out var problem)
            || !Input.TryUser(request, required: false, out var user, out problem))
        {
            return problem;
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var question = await connection.QuerySingleOrDefaultAsync<Question>(new CommandDefinition(
            GetSql, new { Id = id, UserId = user }, cancellationToken: cancellationToken));
        return question is null ? Problems.NotFound("question", id) : TypedResults.Ok(question);
    }

    private static Task<Results<Created<Question>, ProblemHttpResult>> PostQuestion(
        string courseId, HttpContext context, PostWriter writer, CancellationToken cancellationToken) =>
        writer.PostAsync(context, PostKind.Question, courseId, async (transaction, post, ct) =>
        {
            var inserted = await transaction.Connection!.QuerySingleOrDefaultAsync<InsertedQuestion>(new CommandDefinition(
                InsertSql, new { CourseId = post.ParentId, AuthorId = post.User, post.Text }, transaction, cancellationToken: ct));
            if (inserted is null)
            {
                return null;
            }

            var question = inserted.ToQuestion();
            return new SavedPost<Question>(question, $"/api/questions/{question.Id}",
                [
                    OutboxMessage.QuestionAsked(new QuestionAsked(question.Id, question.CourseId, inserted.CourseName, question.Text, question.CreatedAt)),
                    OutboxMessage.QuestionCreated(new QuestionCreated(question.CourseId, question)),
                ],
                [CacheScopes.Courses, CacheScopes.CourseQuestions(question.CourseId)]);
        }, cancellationToken);
}
