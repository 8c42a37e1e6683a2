using System.Net;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Api;

/// <summary>GET /api/answers/{id}: where the Location of a created answer points.</summary>
public sealed class GetAnswerTests : ApiFixture
{
    [Test]
    public async Task GetAnswer_AtTheLocationOfAPost_ReturnsTheSameAnswer_WithTheReadersVote()
    {
        var question = await Api.AskAsync(4, "What does TCP slow start probe for?");
        using var posted = await Api.PostAnswerAsync(question.GetProperty("id").GetInt64(), "The capacity of the path, doubling each round trip.", ApiClient.NewUser());
        var created = await ApiClient.ReadJsonAsync(posted, HttpStatusCode.Created);
        var voter = ApiClient.NewUser();
        using (var vote = await Api.VoteAsync("answers", created.GetProperty("id").GetInt64(), voter))
        {
            Assert.That(vote.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        var location = posted.Headers.Location!.ToString();
        var asVoter = await Api.GetJsonAsync(location, voter);
        var anonymous = await Api.GetJsonAsync(location);

        Assert.Multiple(() =>
        {
            Assert.That(location, Is.EqualTo($"/api/answers/{created.GetProperty("id").GetInt64()}"));
            Assert.That(asVoter.GetProperty("text").GetString(), Is.EqualTo("The capacity of the path, doubling each round trip."));
            Assert.That(asVoter.GetProperty("questionId").GetInt64(), Is.EqualTo(question.GetProperty("id").GetInt64()));
            Assert.That(asVoter.GetProperty("upvotes").GetInt32(), Is.EqualTo(1));
            Assert.That(asVoter.GetProperty("upvotedByMe").GetBoolean(), Is.True);
            Assert.That(anonymous.GetProperty("upvotedByMe").GetBoolean(), Is.False);
            Assert.That(anonymous.GetProperty("author").GetProperty("kind").GetString(), Is.EqualTo("user"));
        });
    }

    [Test]
    public async Task GetAnswer_UnknownId_Returns404()
    {
        using var response = await Api.GetAsync("/api/answers/987654321");
        await Problem.AssertAsync(response, HttpStatusCode.NotFound, "987654321");
    }

    [TestCase("x")]
    [TestCase("0")]
    public async Task GetAnswer_IdNotAPositiveNumber_Returns400(string id)
    {
        using var response = await Api.GetAsync($"/api/answers/{id}");
        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "answerId");
    }
}
