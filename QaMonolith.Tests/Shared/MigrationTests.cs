using System.Text.Json;
using Dapper;
using Npgsql;
using QaMonolith.Api;
using QaMonolith.Shared.Data;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Shared;

public sealed class MigrationTests
{
    private const string SchemaSql = """
        select string_agg(table_name || '.' || column_name || ':' || data_type || ':' || is_nullable, ',' order by table_name, column_name)
        from information_schema.columns where table_schema = 'public'
        """;

    [Test]
    public async Task Migrate_AppliedTwice_ChangesNothing()
    {
        await using var app = await QaApp.StartAsync();
        var before = await SnapshotAsync(app.PostgresConnectionString);

        await app.Service<DatabaseMigrator>().MigrateAsync(CancellationToken.None);

        var after = await SnapshotAsync(app.PostgresConnectionString);
        Assert.That(after, Is.EqualTo(before));
        Assert.That(after.Courses, Is.GreaterThanOrEqualTo(5));
    }

    [Test]
    public async Task Migrate_TwoProcessesStartingTogether_ApplyEachScriptOnce()
    {
        var database = await Servers.Postgres.CreateDatabaseAsync();

        var starting = Enumerable.Range(0, 2).Select(_ => QaApp.StartAsync(postgres: database)).ToArray();
        var apps = await Task.WhenAll(starting);
        try
        {
            var snapshot = await SnapshotAsync(database);
            await using var connection = new NpgsqlConnection(database);
            var scripts = (await connection.QueryAsync<(string Name, long Count)>(
                "select scriptname, count(*) from schemaversions group by scriptname")).ToList();
            Assert.That(scripts, Is.Not.Empty);
            Assert.That(scripts.Select(s => s.Count), Is.All.EqualTo(1));
            Assert.That(snapshot.Courses, Is.EqualTo(6), "seeded once, not twice");
        }
        finally
        {
            foreach (var app in apps)
            {
                await app.DisposeAsync();
            }
        }
    }

    [TestCase(nameof(QuestionEndpoints), "questions_course_activity")]
    [TestCase(nameof(AnswerEndpoints), "answers_question_activity")]
    public async Task ListQueries_AreKeysetIndexScansWithoutSort(string endpoints, string index)
    {
        await using var app = await QaApp.StartAsync();
        await using var connection = new NpgsqlConnection(app.PostgresConnectionString);
        // Enough rows under the listed parent (a hot course, a much-answered question) that a sort would cost more than
        // a scan; with a handful of rows the planner may rightly prefer a bitmap scan and a tiny sort.
        await connection.ExecuteAsync("""
            insert into questions (course_id, author_id, text, created_at, last_activity_at)
            select 1 + g % 5, gen_random_uuid(), 'q' || g, now() - g * interval '1 second', now() - g * interval '1 second'
            from generate_series(1, 5000) g;
            insert into answers (question_id, author_id, text, created_at, last_activity_at)
            select case when g <= 4000 then 1 else 2 + g % 500 end, gen_random_uuid(), 'a' || g, now() - g * interval '1 second', now() - g * interval '1 second'
            from generate_series(1, 5000) g;
            analyze questions; analyze answers;
            """);

        var (first, next, parameters) = endpoints == nameof(QuestionEndpoints)
            ? (QuestionEndpoints.FirstPageSql, QuestionEndpoints.NextPageSql, (object)new { ParentId = 1L, Take = 21, LastActivityAt = DateTime.UtcNow.AddMinutes(-10), Id = 2500L })
            : (AnswerEndpoints.FirstPageSql, AnswerEndpoints.NextPageSql, new { ParentId = 1L, Take = 21, LastActivityAt = DateTime.UtcNow.AddMinutes(-10), Id = 2500L });

        foreach (var sql in new[] { first, next })
        {
            var plan = await connection.ExecuteScalarAsync<string>("explain (format json) " + sql, parameters);
            TestContext.Out.WriteLine(plan);
            var nodes = Nodes(JsonDocument.Parse(plan!).RootElement[0].GetProperty("Plan")).ToList();
            Assert.That(nodes.Select(n => n.GetProperty("Node Type").GetString()), Does.Not.Contain("Sort"), sql);
            Assert.That(nodes.Where(n => n.TryGetProperty("Index Name", out _)).Select(n => n.GetProperty("Index Name").GetString()), Does.Contain(index), sql);
        }
    }

    private static IEnumerable<JsonElement> Nodes(JsonElement plan)
    {
        yield return plan;
        if (plan.TryGetProperty("Plans", out var children))
        {
            foreach (var child in children.EnumerateArray().SelectMany(Nodes))
            {
                yield return child;
            }
        }
    }

    private sealed record Snapshot(string Schema, long Scripts, long Courses);

    private static async Task<Snapshot> SnapshotAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return new Snapshot(
            await connection.ExecuteScalarAsync<string>(SchemaSql) ?? "",
            await connection.ExecuteScalarAsync<long>("select count(*) from schemaversions"),
            await connection.ExecuteScalarAsync<long>("select count(*) from courses"));
    }
}
