using System.Net;
using System.Text.Json;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Api;

/// <summary>PUT and DELETE upvote, on questions and on answers alike: each answers {upvotes, upvotedByMe} and is idempotent per user.</summary>
public sealed class VoteEndpointsTests : ApiFixture
{
    private static readonly string[] VoteFields = ["upvotes", "upvotedByMe"];

    [Test]
    public async Task Upvote_FirstTime_ReturnsOneAndUpvotedByMe([Values("questions", "answers")] string kind)
    {
        var id = await NewItemAsync(kind);

        var vote = await VoteAsync(kind, id, ApiClient.NewUser(), up: true);

        Assert.That(PropertyNames(vote), Is.EquivalentTo(VoteFields));
        Assert.That(State(vote), Is.EqualTo((1, true)));
    }

    [Test]
    public async Task Upvote_Twice_CountsOnce([Values("questions", "answers")] string kind)
    {
        var id = await NewItemAsync(kind);
        var user = ApiClient.NewUser();
        await VoteAsync(kind, id, user, up: true);

        var again = await VoteAsync(kind, id, user, up: true);

        Assert.That(State(again), Is.EqualTo((1, true)));
        Assert.That(await UpvotesAsync(kind, id), Is.EqualTo(1));
    }

    [Test]
    public async Task Upvote_ByTwoUsers_CountsBoth([Values("questions", "answers")] string kind)
    {
        var id = await NewItemAsync(kind);
        await VoteAsync(kind, id, ApiClient.NewUser(), up: true);

        var second = await VoteAsync(kind, id, ApiClient.NewUser(), up: true);

        Assert.That(State(second), Is.EqualTo((2, true)));
        Assert.That(await UpvotesAsync(kind, id), Is.EqualTo(2));
    }

    [Test]
    public async Task RemoveUpvote_AfterUpvote_LowersTheCount([Values("questions", "answers")] string kind)
    {
        var id = await NewItemAsync(kind);
        var user = ApiClient.NewUser();
        await VoteAsync(kind, id, ApiClient.NewUser(), up: true);
        await VoteAsync(kind, id, user, up: true);

        var removed = await VoteAsync(kind, id, user, up: false);

        Assert.That(PropertyNames(removed), Is.EquivalentTo(VoteFields));
        Assert.That(State(removed), Is.EqualTo((1, false)));
        Assert.That(await UpvotesAsync(kind, id), Is.EqualTo(1));
    }

    [Test]
    public async Task RemoveUpvote_Twice_LowersOnce([Values("questions", "answers")] string kind)
    {
        var id = await NewItemAsync(kind);
        var user = ApiClient.NewUser();
        await VoteAsync(kind, id, ApiClient.NewUser(), up: true);
        await VoteAsync(kind, id, user, up: true);
        await VoteAsync(kind, id, user, up: false);

        var again = await VoteAsync(kind, id, user, up: false);

        Assert.That(State(again), Is.EqualTo((1, false)));
        Assert.That(await UpvotesAsync(kind, id), Is.EqualTo(1));
    }

    [Test]
    public async Task RemoveUpvote_WithoutUpvote_ChangesNothing([Values("questions", "answers")] string kind)
    {
        var untouched = await NewItemAsync(kind);
        var upvotedByAnother = await NewItemAsync(kind);
        await VoteAsync(kind, upvotedByAnother, ApiClient.NewUser(), up: true);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(State(await VoteAsync(kind, untouched, ApiClient.NewUser(), up: false)), Is.EqualTo((0, false)), "never below zero");
            Assert.That(State(await VoteAsync(kind, upvotedByAnother, ApiClient.NewUser(), up: false)), Is.EqualTo((1, false)), "not someone else's vote");
            Assert.That(await UpvotesAsync(kind, untouched), Is.Zero);
            Assert.That(await UpvotesAsync(kind, upvotedByAnother), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task Upvote_ShowsOnTheItemForTheVoter([Values("questions", "answers")] string kind)
    {
        var id = await NewItemAsync(kind);
        var user = ApiClient.NewUser();

        await VoteAsync(kind, id, user, up: true);

        var item = await ItemAsync(kind, id, user);
        Assert.That(item.GetProperty("upvotes").GetInt32(), Is.EqualTo(1));
        Assert.That(item.GetProperty("upvotedByMe").GetBoolean(), Is.True);
    }

    private async Task<long> NewItemAsync(string kind) => kind == "questions" ? await AskAsync(CourseId) : await AnswerAsync(QuestionId);

    private async Task<JsonElement> VoteAsync(string kind, long id, Guid user, bool up)
    {
        using var response = await Api.VoteAsync(kind, id, user, up);
        return await ApiClient.ReadJsonAsync(response, HttpStatusCode.OK);
    }

    private static (int Upvotes, bool UpvotedByMe) State(JsonElement vote) =>
        (vote.GetProperty("upvotes").GetInt32(), vote.GetProperty("upvotedByMe").GetBoolean());

    private async Task<JsonElement> ItemAsync(string kind, long id, Guid? user = null) =>
        kind == "questions" ? await Api.GetJsonAsync($"/api/questions/{id}", user) : await ListedAnswerAsync(QuestionId, id, user);

    private async Task<int> UpvotesAsync(string kind, long id) => (await ItemAsync(kind, id)).GetProperty("upvotes").GetInt32();
}
