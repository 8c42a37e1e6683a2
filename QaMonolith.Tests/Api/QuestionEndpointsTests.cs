using System.Net;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Api;

public sealed class QuestionEndpointsTests : ApiFixture
{
    [Test]
    public async Task PostQuestion_ValidText_Returns201WithLocationAndTheQuestion()
    {
        using var response = await Api.PostQuestionAsync(CourseId, "  How do I read an EXPLAIN plan?\n", ApiClient.NewUser());

        var question = await ApiClient.ReadJsonAsync(response, HttpStatusCode.Created);
        var id = question.GetProperty("id").GetInt64();
        Assert.Multiple(() =>
        {
            Assert.That(response.Headers.Location?.OriginalString, Is.EqualTo($"/api/questions/{id}"));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
            Assert.That(PropertyNames(question), Is.EquivalentTo(QuestionFields));
            Assert.That(id, Is.Positive);
            Assert.That(question.GetProperty("courseId").GetInt64(), Is.EqualTo(CourseId));
            Assert.That(question.GetProperty("text").GetString(), Is.EqualTo("How do I read an EXPLAIN plan?"));
            Assert.That(question.GetProperty("upvotes").GetInt32(), Is.Zero);
            Assert.That(question.GetProperty("answerCount").GetInt32(), Is.Zero);
            Assert.That(question.GetProperty("upvotedByMe").GetBoolean(), Is.False);
            AssertRecentUtc(question, "createdAt");
            AssertRecentUtc(question, "lastActivityAt");
            Assert.That(question.GetProperty("lastActivityAt").GetString(), Is.EqualTo(question.GetProperty("createdAt").GetString()));
        });
    }

    [Test]
    public async Task PostQuestion_Location_ServesTheSameQuestion()
    {
        using var response = await Api.PostQuestionAsync(CourseId, "What is a phantom read?", ApiClient.NewUser());
        var posted = await ApiClient.ReadJsonAsync(response, HttpStatusCode.Created);

        var fetched = await Api.GetJsonAsync(response.Headers.Location!.OriginalString);

        Assert.That(fetched.GetRawText(), Is.EqualTo(posted.GetRawText()));
    }

    [Test]
    public async Task ListQuestions_NewQuestion_IsListedAsPosted()
    {
        var posted = await Api.AskAsync(CourseId, "When does a hash join beat a merge join?");

        var listed = await ListedQuestionAsync(posted.GetProperty("id").GetInt64());

        Assert.That(listed.GetRawText(), Is.EqualTo(posted.GetRawText()));
    }

    [Test]
    public async Task ListQuestions_CourseWithoutQuestions_ReturnsAnEmptyPage()
    {
        var page = await Api.GetJsonAsync($"/api/courses/{await CourseIdAsync("Machine Learning")}/questions");

        Assert.That(PropertyNames(page), Is.EquivalentTo(PageFields));
        Assert.That(page.GetProperty("items").GetArrayLength(), Is.Zero);
        Assert.That(page.GetProperty("nextCursor").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
    }

    [Test]
    public async Task GetQuestion_UpvotedByMe_IsTrueOnlyForTheUpvoter()
    {
        var (id, voter) = await UpvotedQuestionAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await Api.GetJsonAsync($"/api/questions/{id}", voter)).GetProperty("upvotedByMe").GetBoolean(), Is.True);
            Assert.That((await Api.GetJsonAsync($"/api/questions/{id}", ApiClient.NewUser())).GetProperty("upvotedByMe").GetBoolean(), Is.False);
            Assert.That((await Api.GetJsonAsync($"/api/questions/{id}")).GetProperty("upvotedByMe").GetBoolean(), Is.False);
        }
    }

    [Test]
    public async Task ListQuestions_UpvotedByMe_IsTrueOnlyForTheUpvoter()
    {
        var (id, voter) = await UpvotedQuestionAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await ListedQuestionAsync(id, voter)).GetProperty("upvotedByMe").GetBoolean(), Is.True);
            Assert.That((await ListedQuestionAsync(id, ApiClient.NewUser())).GetProperty("upvotedByMe").GetBoolean(), Is.False);
            Assert.That((await ListedQuestionAsync(id)).GetProperty("upvotedByMe").GetBoolean(), Is.False);
        }
    }

    [TestCase("<script>alert(1)</script>")]
    [TestCase("Is <b>bold</b> &amp; \"quoted\" 'text' escaped?")]
    public async Task PostQuestion_MarkupInText_IsStoredAndReturnedVerbatim(string text)
    {
        var posted = await Api.AskAsync(CourseId, text);
        var id = posted.GetProperty("id").GetInt64();

        Assert.That(posted.GetProperty("text").GetString(), Is.EqualTo(text));
        Assert.That((await Api.GetJsonAsync($"/api/questions/{id}")).GetProperty("text").GetString(), Is.EqualTo(text));
        Assert.That((await ListedQuestionAsync(id)).GetProperty("text").GetString(), Is.EqualTo(text));
    }

    private async Task<System.Text.Json.JsonElement> ListedQuestionAsync(long id, Guid? user = null) =>
        (await Api.GetJsonAsync($"/api/courses/{CourseId}/questions?limit=100", user)).GetProperty("items").EnumerateArray()
            .Single(q => q.GetProperty("id").GetInt64() == id);

    private async Task<(long Id, Guid Voter)> UpvotedQuestionAsync()
    {
        var id = await AskAsync(CourseId, "Who upvoted this?");
        var voter = ApiClient.NewUser();
        using var vote = await Api.VoteAsync("questions", id, voter);
        await ApiClient.ReadJsonAsync(vote, HttpStatusCode.OK);
        return (id, voter);
    }
}
