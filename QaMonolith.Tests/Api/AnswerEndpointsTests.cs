using System.Net;
using System.Text.Json;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Api;

public sealed class AnswerEndpointsTests : ApiFixture
{
    private static readonly string[] UserAuthorFields = ["kind"];

    [Test]
    public async Task PostAnswer_ValidText_Returns201WithTheAnswer()
    {
        using var response = await Api.PostAnswerAsync(QuestionId, "\t It narrows the scan to a slice of the leaf pages.  ", ApiClient.NewUser());

        var answer = await ApiClient.ReadJsonAsync(response, HttpStatusCode.Created);
        var id = answer.GetProperty("id").GetInt64();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.Headers.Location?.OriginalString, Does.EndWith($"/{id}"));
            Assert.That(PropertyNames(answer), Is.EquivalentTo(AnswerFields));
            Assert.That(id, Is.Positive);
            Assert.That(answer.GetProperty("questionId").GetInt64(), Is.EqualTo(QuestionId));
            Assert.That(answer.GetProperty("text").GetString(), Is.EqualTo("It narrows the scan to a slice of the leaf pages."));
            Assert.That(answer.GetProperty("upvotes").GetInt32(), Is.Zero);
            Assert.That(answer.GetProperty("upvotedByMe").GetBoolean(), Is.False);
            AssertRecentUtc(answer, "createdAt");
            AssertRecentUtc(answer, "lastActivityAt");
            AssertUserAuthor(answer);
        }
    }

    [Test]
    public async Task PostAnswer_RaisesTheQuestionsAnswerCount()
    {
        var questionId = await AskAsync(CourseId, "Is a covering index worth its writes?");
        Assert.That(await AnswerCountsAsync(questionId), Is.EqualTo((0, 0)));

        await AnswerAsync(questionId);

        Assert.That(await AnswerCountsAsync(questionId), Is.EqualTo((1, 1)), "(the question, the course's list)");
    }

    [Test]
    public async Task ListAnswers_PostedAnswer_IsListedAsPosted()
    {
        var posted = await Api.AnswerAsync(QuestionId, "Sorted keys: the range is one walk along the leaves.");

        var listed = await ListedAnswerAsync(QuestionId, posted.GetProperty("id").GetInt64());

        Assert.That(listed.GetRawText(), Is.EqualTo(posted.GetRawText()));
        AssertUserAuthor(listed);
    }

    [Test]
    public async Task ListAnswers_QuestionWithoutAnswers_ReturnsAnEmptyPage()
    {
        var questionId = await AskAsync(CourseId, "Has anyone answered this yet?");

        var page = await Api.GetJsonAsync($"/api/questions/{questionId}/answers");

        Assert.That(PropertyNames(page), Is.EquivalentTo(PageFields));
        Assert.That(page.GetProperty("items").GetArrayLength(), Is.Zero);
        Assert.That(page.GetProperty("nextCursor").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task ListAnswers_UpvotedByMe_IsTrueOnlyForTheUpvoter()
    {
        var id = await AnswerAsync(QuestionId, "Upvote me.");
        var voter = ApiClient.NewUser();
        using (var vote = await Api.VoteAsync("answers", id, voter))
        {
            await ApiClient.ReadJsonAsync(vote, HttpStatusCode.OK);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await ListedAnswerAsync(QuestionId, id, voter)).GetProperty("upvotedByMe").GetBoolean(), Is.True);
            Assert.That((await ListedAnswerAsync(QuestionId, id, ApiClient.NewUser())).GetProperty("upvotedByMe").GetBoolean(), Is.False);
            Assert.That((await ListedAnswerAsync(QuestionId, id)).GetProperty("upvotedByMe").GetBoolean(), Is.False);
        }
    }

    [TestCase("<script>alert(1)</script>")]
    [TestCase("Use <code>WHERE a &gt; 1</code> & \"see\" 'docs'")]
    public async Task PostAnswer_MarkupInText_IsStoredAndReturnedVerbatim(string text)
    {
        var posted = await Api.AnswerAsync(QuestionId, text);

        Assert.That(posted.GetProperty("text").GetString(), Is.EqualTo(text));
        Assert.That((await ListedAnswerAsync(QuestionId, posted.GetProperty("id").GetInt64())).GetProperty("text").GetString(), Is.EqualTo(text));
    }

    private static void AssertUserAuthor(JsonElement answer)
    {
        var author = answer.GetProperty("author");
        Assert.That(PropertyNames(author), Is.EqualTo(UserAuthorFields), "a user's answer names no model, and no user");
        Assert.That(author.GetProperty("kind").GetString(), Is.EqualTo("user"));
    }

    /// <summary>The question's answerCount as the question itself and as its course's list show it.</summary>
    private async Task<(int Question, int Listed)> AnswerCountsAsync(long questionId)
    {
        var question = await Api.GetJsonAsync($"/api/questions/{questionId}");
        var listed = (await Api.GetJsonAsync($"/api/courses/{CourseId}/questions?limit=100")).GetProperty("items").EnumerateArray()
            .Single(q => q.GetProperty("id").GetInt64() == questionId);
        return (question.GetProperty("answerCount").GetInt32(), listed.GetProperty("answerCount").GetInt32());
    }
}
