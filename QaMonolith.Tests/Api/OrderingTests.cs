using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Api;

/// <summary>
/// Lists are most recently active first (lastActivityAt desc, then id desc). An upvote is activity and moves its item
/// to the top of its own list; removing an upvote is not, and nothing else moves. Each test posts its own items
/// one after another, so posting order is activity order; the tests in a fixture run one at a time.
/// </summary>
public sealed class OrderingTests : AppFixture
{
    private long _courseId;

    [OneTimeSetUp]
    public async Task SeedAsync()
    {
        _courseId = await Lists.CourseIdAsync(Api, "Databases");
    }

    [TestCase("questions")]
    [TestCase("answers")]
    public async Task List_MostRecentlyPostedFirst(string kind)
    {
        var (list, a, b, c) = await PostThreeAsync(kind);

        var listed = await Lists.FirstPageAsync(Api, list);

        Assert.That(listed.Take(3).Select(i => i.Id), Is.EqualTo(new[] { c.Id, b.Id, a.Id }));
        Assert.That(listed, Is.EqualTo(Lists.InListOrder(listed)), "lastActivityAt desc, then id desc");
    }

    [TestCase("questions")]
    [TestCase("answers")]
    public async Task Upvote_MovesItToTheTopOfItsList_AndNothingElse(string kind)
    {
        var (list, a, b, c) = await PostThreeAsync(kind);

        await Lists.VoteAsync(Api, kind, a.Id, ApiClient.NewUser());

        var listed = await Lists.FirstPageAsync(Api, list);
        Assert.That(listed.Take(3).Select(i => i.Id), Is.EqualTo(new[] { a.Id, c.Id, b.Id }));
        var upvoted = listed[0];
        Assert.Multiple(() =>
        {
            Assert.That(upvoted.LastActivityAt, Is.GreaterThan(upvoted.CreatedAt));
            Assert.That(upvoted.CreatedAt, Is.EqualTo(a.CreatedAt));
            Assert.That(listed[1], Is.EqualTo(c), "the items not upvoted keep their activity");
            Assert.That(listed[2], Is.EqualTo(b), "the items not upvoted keep their activity");
        });
    }

    [TestCase("questions")]
    [TestCase("answers")]
    public async Task RemoveUpvote_LeavesItWhereTheUpvoteMovedIt(string kind)
    {
        var (list, a, _, _) = await PostThreeAsync(kind);
        var voter = ApiClient.NewUser();
        await Lists.VoteAsync(Api, kind, a.Id, voter);
        var upvoted = (await Lists.FirstPageAsync(Api, list))[0];

        await Lists.VoteAsync(Api, kind, a.Id, voter, up: false);

        var listed = await Lists.FirstPageAsync(Api, list);
        Assert.That(listed[0], Is.EqualTo(upvoted with { Upvotes = 0 }), "still first, with the upvote's activity time");
    }

    [TestCase("questions")]
    [TestCase("answers")]
    public async Task Upvote_RepeatedBySameUser_DoesNotMoveItAgain(string kind)
    {
        var (list, a, b, _) = await PostThreeAsync(kind);
        var voter = ApiClient.NewUser();
        await Lists.VoteAsync(Api, kind, a.Id, voter);
        await Lists.VoteAsync(Api, kind, b.Id, ApiClient.NewUser());
        var before = await Lists.FirstPageAsync(Api, list);

        await Lists.VoteAsync(Api, kind, a.Id, voter);

        var after = await Lists.FirstPageAsync(Api, list);
        Assert.That(before.Take(2).Select(i => i.Id), Is.EqualTo(new[] { b.Id, a.Id }));
        Assert.That(after, Is.EqualTo(before), "a second PUT by the same user changes nothing");
    }

    [Test]
    public async Task AnswersAndTheirUpvotes_DoNotMoveTheQuestion()
    {
        var older = Listed.From(await Api.AskAsync(_courseId, "Is an index scan always faster?"));
        var newer = Listed.From(await Api.AskAsync(_courseId, "When does the planner choose a hash join?"));

        var answer = await Api.AnswerAsync(older.Id, "No: for most of a table a sequential scan wins.");
        var afterAnswer = await Lists.FirstPageAsync(Api, Lists.Questions(_courseId));
        await Lists.VoteAsync(Api, "answers", answer.GetProperty("id").GetInt64(), ApiClient.NewUser());
        var afterUpvote = await Lists.FirstPageAsync(Api, Lists.Questions(_courseId));

        // lastActivityAt is the later of posting and the question's own latest upvote; its answers are not its activity.
        Assert.Multiple(() =>
        {
            Assert.That(afterAnswer.Take(2).Select(q => q.Id), Is.EqualTo(new[] { newer.Id, older.Id }), "after an answer");
            Assert.That(afterAnswer[1], Is.EqualTo(older), "after an answer");
            Assert.That(afterUpvote, Is.EqualTo(afterAnswer), "after an upvote of the answer");
        });
    }

    /// <summary>Three questions of the course, or three answers of a new question, posted one after another.</summary>
    private async Task<(string List, Listed A, Listed B, Listed C)> PostThreeAsync(string kind)
    {
        if (kind == "questions")
        {
            var a = Listed.From(await Api.AskAsync(_courseId, "What does VACUUM reclaim?"));
            var b = Listed.From(await Api.AskAsync(_courseId, "Why is serializable isolation slower?"));
            var c = Listed.From(await Api.AskAsync(_courseId, "What is a covering index?"));
            return (Lists.Questions(_courseId), a, b, c);
        }

        var question = (await Api.AskAsync(_courseId, "How does MVCC avoid read locks?")).GetProperty("id").GetInt64();
        var x = Listed.From(await Api.AnswerAsync(question, "Readers see a snapshot."));
        var y = Listed.From(await Api.AnswerAsync(question, "Each row version carries xmin and xmax."));
        var z = Listed.From(await Api.AnswerAsync(question, "Writers create new versions instead of overwriting."));
        return (Lists.Answers(question), x, y, z);
    }
}
