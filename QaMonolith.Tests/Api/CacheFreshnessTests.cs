using Dapper;
using Npgsql;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Api;

/// <summary>
/// Every page of a list, not only the first, and each reader's own upvotes are served from the cache; a write must
/// still show in the very next read. Each test reads first (warming the cache), writes, and reads again.
/// </summary>
public sealed class CacheFreshnessTests : ApiFixture
{
    [TestCase("questions")]
    [TestCase("answers")]
    public async Task DeepPage_AfterAVoteOnOneOfItsItems_NoLongerHoldsIt(string kind)
    {
        var list = await NewListAsync(kind, 12);
        var (_, cursor) = await Lists.PageAsync(Api, list, 5);
        var (second, _) = await Lists.PageAsync(Api, list, 5, cursor);
        var moved = second[2];

        await Lists.VoteAsync(Api, kind, moved.Id, ApiClient.NewUser());

        var (again, _) = await Lists.PageAsync(Api, list, 5, cursor);
        Assert.That(again.Select(i => i.Id), Does.Not.Contain(moved.Id), "the upvoted item moved to the top of the list");
        Assert.That((await Lists.PageAsync(Api, list, 5)).Items[0], Has.Property(nameof(Listed.Id)).EqualTo(moved.Id).And.Property(nameof(Listed.Upvotes)).EqualTo(1));
    }

    [Test]
    public async Task DeepPage_AfterAnAnswer_CountsIt()
    {
        var list = await NewListAsync("questions", 12);
        var (_, cursor) = await Lists.PageAsync(Api, list, 5);
        var (second, _) = await Lists.PageAsync(Api, list, 5, cursor);
        var question = second[1];

        await AnswerAsync(question.Id, "An answer the course page must count.", ApiClient.NewUser());

        var (again, _) = await Lists.PageAsync(Api, list, 5, cursor);
        var counted = (await Api.GetJsonAsync($"{list}?limit=5&cursor={Uri.EscapeDataString(cursor!)}")).GetProperty("items").EnumerateArray()
            .Single(q => q.GetProperty("id").GetInt64() == question.Id).GetProperty("answerCount").GetInt32();
        Assert.That(again.Select(i => i.Id), Does.Contain(question.Id), "an answer does not move its question");
        Assert.That(counted, Is.EqualTo(1));
    }

    [TestCase("questions")]
    [TestCase("answers")]
    public async Task UpvotedByMe_FollowsTheReadersOwnVotes_InTheNextRead(string kind)
    {
        var list = await NewListAsync(kind, 3);
        var reader = ApiClient.NewUser();
        var items = await ReadAsync(list, reader);
        Assert.That(items.Values, Has.All.False);
        var target = items.Keys.First();

        await Lists.VoteAsync(Api, kind, target, reader);
        var afterVote = await ReadAsync(list, reader);
        var someoneElse = await ReadAsync(list, ApiClient.NewUser());
        await Lists.VoteAsync(Api, kind, target, reader, up: false);
        var afterRemoval = await ReadAsync(list, reader);

        Assert.That(afterVote.Where(i => i.Value).Select(i => i.Key), Is.EqualTo(new[] { target }));
        Assert.That(someoneElse.Values, Has.All.False, "another reader's flags are their own");
        Assert.That(afterRemoval.Values, Has.All.False);
    }

    [Test]
    public async Task UpvotedByMe_ForAReaderWithMoreVotesThanTheCacheKeeps_IsStillExact()
    {
        var list = await NewListAsync("questions", 3);
        var reader = ApiClient.NewUser();
        var target = (await ReadAsync(list, reader)).Keys.Last();
        await Lists.VoteAsync(Api, "questions", target, reader);
        // Votes on more questions than a reader's cached set may hold, written straight to the table.
        await using (var db = new NpgsqlConnection(App.PostgresConnectionString))
        {
            await db.ExecuteAsync("""
                insert into questions (course_id, author_id, text, created_at, last_activity_at)
                select @CourseId, gen_random_uuid(), 'filler ' || n, now() - interval '1 year', now() - interval '1 year' from generate_series(1, 2100) n
                """, new { CourseId });
            await db.ExecuteAsync("""
                insert into question_votes (question_id, user_id)
                select id, @Reader from questions where text like 'filler %' and course_id = @CourseId
                """, new { Reader = reader, CourseId });
        }

        await Lists.VoteAsync(Api, "questions", target, reader, up: false);
        var afterRemoval = await ReadAsync(list, reader);
        await Lists.VoteAsync(Api, "questions", target, reader);
        var afterVote = await ReadAsync(list, reader);

        Assert.That(afterRemoval.Values, Has.All.False);
        Assert.That(afterVote.Where(i => i.Value).Select(i => i.Key), Is.EqualTo(new[] { target }));
    }

    /// <summary>A new question with <paramref name="count"/> answers, or a new course-like run of questions.</summary>
    private async Task<string> NewListAsync(string kind, int count)
    {
        if (kind == "answers")
        {
            var question = await AskAsync(CourseId, "A question with a long thread", ApiClient.NewUser());
            await Lists.AnswerManyAsync(Api, question, count);
            return Lists.Answers(question);
        }

        await Lists.AskManyAsync(Api, CourseId, count);
        return Lists.Questions(CourseId);
    }

    /// <summary>The first page as <paramref name="reader"/> sees it: id to upvotedByMe, in list order.</summary>
    private async Task<Dictionary<long, bool>> ReadAsync(string list, Guid reader) =>
        (await Api.GetJsonAsync($"{list}?limit=3", reader)).GetProperty("items").EnumerateArray()
            .ToDictionary(i => i.GetProperty("id").GetInt64(), i => i.GetProperty("upvotedByMe").GetBoolean());
}
