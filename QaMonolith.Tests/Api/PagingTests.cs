using System.Text.Json;
using Npgsql;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Api;

/// <summary>
/// Keyset pages: following nextCursor visits a list exactly once, in order, and ends with a null cursor. Every test
/// reads a course or question of its own, so the order the setup created stays the order to expect.
/// </summary>
public sealed class PagingTests : AppFixture
{
    private const int Many = 45;

    private long _walkedCourse;
    private IReadOnlyList<Listed> _questions = null!;
    private long _walkedQuestion;
    private IReadOnlyList<Listed> _answers = null!;

    [OneTimeSetUp]
    public async Task SeedAsync()
    {

        // Posted all at once: ids and activity times then need not agree, which is what the id tie-break is for.
        _walkedCourse = await Lists.CourseIdAsync(Api, "Linear Algebra");
        _questions = await Lists.AskManyAsync(Api, _walkedCourse, Many);
        var operatingSystems = await Lists.CourseIdAsync(Api, "Operating Systems");
        _walkedQuestion = (await Api.AskAsync(operatingSystems, "What does a context switch save?")).GetProperty("id").GetInt64();
        _answers = await Lists.AnswerManyAsync(Api, _walkedQuestion, Many);
    }

    [TestCase(20)]
    [TestCase(7)]
    [TestCase(15)]
    [TestCase(1)]
    [TestCase(100)]
    public async Task ListQuestions_WalkingEveryPage_ReturnsEachQuestionOnceInOrder(int limit)
    {
        var pages = await Lists.WalkAsync(Api, Lists.Questions(_walkedCourse), limit);

        AssertWalked(pages, _questions, limit);
    }

    [TestCase(20)]
    [TestCase(7)]
    [TestCase(15)]
    public async Task ListAnswers_WalkingEveryPage_ReturnsEachAnswerOnceInOrder(int limit)
    {
        var pages = await Lists.WalkAsync(Api, Lists.Answers(_walkedQuestion), limit);

        AssertWalked(pages, _answers, limit);
    }

    [Test]
    public async Task ListQuestions_CourseWithoutQuestions_ReturnsNoItemsAndNoCursor()
    {
        var course = await Lists.CourseIdAsync(Api, "Computer Networks");

        var page = await Api.GetJsonAsync(Lists.Questions(course));

        AssertEmpty(page);
    }

    [Test]
    public async Task ListAnswers_QuestionWithoutAnswers_ReturnsNoItemsAndNoCursor()
    {
        var course = await Lists.CourseIdAsync(Api, "Databases");
        var question = (await Api.AskAsync(course, "Is a foreign key indexed automatically?")).GetProperty("id").GetInt64();

        var page = await Api.GetJsonAsync(Lists.Answers(question));

        AssertEmpty(page);
    }

    [Test]
    public async Task ListQuestions_UpvotesDuringAWalk_NeverRepeatAQuestion()
    {
        var course = await Lists.CourseIdAsync(Api, "Introduction to Algorithms");
        var posted = await Lists.AskManyAsync(Api, course, 25);

        await AssertUpvotesDuringAWalkAsync(Lists.Questions(course), "questions", posted);
    }

    [Test]
    public async Task ListAnswers_UpvotesDuringAWalk_NeverRepeatAnAnswer()
    {
        var course = await Lists.CourseIdAsync(Api, "Machine Learning");
        var question = (await Api.AskAsync(course, "Why does dropout reduce overfitting?")).GetProperty("id").GetInt64();
        var posted = await Lists.AnswerManyAsync(Api, question, 25);

        await AssertUpvotesDuringAWalkAsync(Lists.Answers(question), "answers", posted);
    }

    [TestCase("questions")]
    [TestCase("answers")]
    public async Task Walk_ItemsWithOneActivityTime_ComeByIdDescendingAcrossPages(string kind)
    {
        var course = await Lists.CourseIdAsync(Api, "Databases");
        var question = kind == "answers" ? (await Api.AskAsync(course, "When is a hash index useful?")).GetProperty("id").GetInt64() : 0;
        var list = kind == "questions" ? Lists.Questions(course) : Lists.Answers(question);
        var tied = kind == "questions" ? await Lists.AskManyAsync(Api, course, 12) : await Lists.AnswerManyAsync(Api, question, 12);
        // Rows written in one transaction share now() (the model's answers to a question, say); the API alone cannot
        // make such a tie on demand, so the test makes it in the database.
        await using (var db = new NpgsqlConnection(App.PostgresConnectionString))
        {
            await db.OpenAsync();
            await using var tie = new NpgsqlCommand($"update {kind} set created_at = @At, last_activity_at = @At where id = any(@Ids)", db);
            tie.Parameters.AddWithValue("At", tied.Min(i => i.CreatedAt));
            tie.Parameters.AddWithValue("Ids", tied.Select(i => i.Id).ToArray());
            Assert.That(await tie.ExecuteNonQueryAsync(), Is.EqualTo(12));
        }

        // A post through the API drops any cached first page, which would still show the old times.
        var latest = kind == "questions"
            ? Listed.From(await Api.AskAsync(course, "Does a hash index support range scans?"))
            : Listed.From(await Api.AnswerAsync(question, "For equality lookups only."));
        var walked = (await Lists.WalkAsync(Api, list, 5)).SelectMany(page => page).ToList();

        var mine = tied.Select(i => i.Id).Append(latest.Id).ToHashSet();
        Assert.Multiple(() =>
        {
            Assert.That(walked.Select(i => i.Id), Is.Unique);
            Assert.That(walked, Is.EqualTo(Lists.InListOrder(walked)));
            Assert.That(walked.Select(i => i.Id).Where(mine.Contains),
                Is.EqualTo(tied.Select(i => i.Id).OrderDescending().Prepend(latest.Id)), "the tied items by id, none skipped at a page boundary");
        });
    }

    /// <summary>
    /// Reads page 1, then upvotes one item from it and one from page 2, then walks on. A keyset page continues below
    /// the cursor's (lastActivityAt, id), and lastActivityAt never decreases, so an item already seen stays above the
    /// cursor: it is never handed out twice (OFFSET paging would repeat the last item of page 1 here). The unseen
    /// item also moved above the cursor, so this walk skips it; the client sees it on top of a fresh first page.
    /// Everything not touched comes exactly once, in order.
    /// </summary>
    private async Task AssertUpvotesDuringAWalkAsync(string list, string kind, IReadOnlyList<Listed> posted)
    {
        var order = Lists.InListOrder(posted);
        var (first, cursor) = await Lists.PageAsync(Api, list, 10);
        Assert.That(first, Is.EqualTo(order.Take(10)));
        var seen = order[3];
        var unseen = order[14];

        await Lists.VoteAsync(Api, kind, seen.Id, ApiClient.NewUser());
        await Lists.VoteAsync(Api, kind, unseen.Id, ApiClient.NewUser());
        var rest = (await Lists.WalkAsync(Api, list, 10, cursor)).SelectMany(page => page).ToList();

        var walked = first.Concat(rest).Select(i => i.Id).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(walked, Is.Unique);
            Assert.That(walked, Is.EqualTo(order.Select(i => i.Id).Where(id => id != unseen.Id)), "every untouched item once, in order");
            Assert.That(rest.Select(i => i.Id), Does.Not.Contain(unseen.Id), "moved above the cursor");
        });
        var fresh = await Lists.FirstPageAsync(Api, list);
        Assert.That(fresh.Take(2).Select(i => i.Id), Is.EqualTo(new[] { unseen.Id, seen.Id }));
    }

    private static void AssertWalked(IReadOnlyList<IReadOnlyList<Listed>> pages, IReadOnlyList<Listed> posted, int limit)
    {
        // Full pages, then the rest; the walk stops at the first null nextCursor, so there is no empty page at the end.
        var sizes = Enumerable.Range(0, (posted.Count + limit - 1) / limit).Select(i => Math.Min(limit, posted.Count - (i * limit)));
        Assert.Multiple(() =>
        {
            Assert.That(pages.SelectMany(page => page), Is.EqualTo(Lists.InListOrder(posted)));
            Assert.That(pages.Select(page => page.Count), Is.EqualTo(sizes));
        });
    }

    private static void AssertEmpty(JsonElement page) => Assert.Multiple(() =>
    {
        Assert.That(page.GetProperty("items").GetArrayLength(), Is.Zero);
        Assert.That(page.GetProperty("nextCursor").ValueKind, Is.EqualTo(JsonValueKind.Null));
    });
}
