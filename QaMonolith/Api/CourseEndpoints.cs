using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using QaMonolith.Shared.Contracts;

namespace QaMonolith.Api;

internal sealed record Course(long Id, string Name, string Description, int QuestionCount);

internal static class CourseEndpoints
{
    private const string ListSql = """
        select c.id, c.name, c.description,
               (select count(*) from questions q where q.course_id = c.id)::int as question_count
        from courses c
        order by c.name, c.id
        """;

    public static void MapCourses(this IEndpointRouteBuilder api)
    {
        var courses = api.MapGroup("/courses").WithTags("Courses");
        courses.MapGet("/", ListCourses).WithName("ListCourses");
        courses.MapGet("/{courseId}", GetCourse).WithName("GetCourse")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<Ok<ItemList<Course>>> ListCourses(NpgsqlDataSource db, PageCache cache, CancellationToken cancellationToken) =>
        TypedResults.Ok(new ItemList<Course>(await LoadAsync(db, cache, cancellationToken)));

    private static async Task<Results<Ok<Course>, ProblemHttpResult>> GetCourse(string courseId, NpgsqlDataSource db, PageCache cache, CancellationToken cancellationToken)
    {
        if (!Input.TryId(courseId, "courseId", out var id, out var problem))
        {
            return problem;
        }

        return await FindAsync(db, cache, id, cancellationToken) is { } course
            ? TypedResults.Ok(course)
            : Problems.NotFound("course", id);
    }

    /// <summary>The course list, served from the cache; a handful of rows, shared by every course lookup.</summary>
    public static async Task<IReadOnlyList<Course>> LoadAsync(NpgsqlDataSource db, PageCache cache, CancellationToken cancellationToken) =>
        (await cache.GetOrLoadAsync<IReadOnlyList<Course>>(CacheScopes.Courses, async ct =>
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            return (await connection.QueryAsync<Course>(new CommandDefinition(ListSql, cancellationToken: ct))).AsList();
        }, courses => courses.Count, cancellationToken))!;

    public static async Task<bool> ExistsAsync(NpgsqlDataSource db, PageCache cache, long id, CancellationToken cancellationToken) =>
        await FindAsync(db, cache, id, cancellationToken) is not null;

    public static async Task<Course?> FindAsync(NpgsqlDataSource db, PageCache cache, long id, CancellationToken cancellationToken) =>
        (await LoadAsync(db, cache, cancellationToken)).FirstOrDefault(c => c.Id == id);
}
