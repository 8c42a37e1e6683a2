using System.Net;
using System.Text.Json;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Api;

/// <summary>
/// Fifty real requests through the test server at once. The rate limit takes exactly one slot per user, and upvotes
/// never double-count or lose a vote, whoever races whom.
/// </summary>
public sealed class ConcurrencyTests : AppFixture
{
    private const int Fifty = 50;

    private long _courseId;

    // The question of each answer a test votes on, to find the answer in its question's list.
    private readonly Dictionary<long, long> _answerQuestions = [];

    [OneTimeSetUp]
    public async Task SeedAsync()
    {
        _courseId = await Lists.CourseIdAsync(Api, "Computer Networks");
    }

    [Test]
    public async Task PostQuestion_FiftyAtOnceByOneUser_CreatesExactlyOne()
    {
        var user = ApiClient.NewUser();
        var before = await QuestionCountAsync();

        var responses = await AllAtOnceAsync(n => Api.PostQuestionAsync(_courseId, $"Why does TCP need a three-way handshake? ({n})", user));

        await RateLimited.AssertCreatedAsync(responses, 1);
        Assert.That(await QuestionCountAsync(), Is.EqualTo(before + 1));
    }

    [Test]
    public async Task PostAnswer_FiftyAtOnceByOneUser_CreatesExactlyOne()
    {
        var question = await AskAsync();
        var user = ApiClient.NewUser();

        var responses = await AllAtOnceAsync(n => Api.PostAnswerAsync(question, $"To agree on both sequence numbers. ({n})", user));

        await RateLimited.AssertCreatedAsync(responses, 1);
        var stored = await Api.GetJsonAsync($"/api/questions/{question}");
        var listed = await Api.GetJsonAsync(Lists.Answers(question));
        Assert.Multiple(() =>
        {
            Assert.That(stored.GetProperty("answerCount").GetInt32(), Is.EqualTo(1));
            Assert.That(listed.GetProperty("items").GetArrayLength(), Is.EqualTo(1));
        });
    }

    [TestCase("questions")]
    [TestCase("answers")]
    public async Task Upvote_FiftyTimesAtOnceByOneUser_CountsOnce(string kind)
    {
        var id = await VotableAsync(kind);
        await Lists.VoteAsync(Api, kind, id, ApiClient.NewUser());
        var user = ApiClient.NewUser();

        var states = await VoteAllAtOnceAsync(kind, id, _ => user, up: true);

        // Every answer is the state after this user's vote, whether this request or a racing one recorded it.
        Assert.That(states, Has.All.EqualTo((2, true)));
        Assert.That(await StoredAsync(kind, id, user), Is.EqualTo((2, true)));
    }

    [TestCase("questions")]
    [TestCase("answers")]
    public async Task Upvote_FiftyUsersAtOnce_CountsFifty(string kind)
    {
        var id = await VotableAsync(kind);

        var states = await VoteAllAtOnceAsync(kind, id, _ => ApiClient.NewUser(), up: true);

        // Each vote is counted under the counter's row lock, so each voter sees a different count.
        Assert.That(states.Select(s => s.Upvotes), Is.EquivalentTo(Enumerable.Range(1, Fifty)));
        Assert.That(await StoredAsync(kind, id, null), Is.EqualTo((Fifty, false)));
    }

    [TestCase("questions")]
    [TestCase("answers")]
    public async Task RemoveUpvote_FiftyUsersAtOnce_CountsBackToZero(string kind)
    {
        var id = await VotableAsync(kind);
        var voters = Enumerable.Range(0, Fifty).Select(_ => ApiClient.NewUser()).ToArray();
        await VoteAllAtOnceAsync(kind, id, n => voters[n], up: true);

        var states = await VoteAllAtOnceAsync(kind, id, n => voters[n], up: false);

        Assert.That(states.Select(s => s.Upvotes), Is.EquivalentTo(Enumerable.Range(0, Fifty)));
        Assert.That(await StoredAsync(kind, id, voters[0]), Is.EqualTo((0, false)));
    }

    [TestCase("questions")]
    [TestCase("answers")]
    public async Task RemoveUpvote_FiftyTimesAtOnceByOneUser_RemovesOnlyThatVote(string kind)
    {
        var id = await VotableAsync(kind);
        await Lists.VoteAsync(Api, kind, id, ApiClient.NewUser());
        var user = ApiClient.NewUser();
        await Lists.VoteAsync(Api, kind, id, user);

        var states = await VoteAllAtOnceAsync(kind, id, _ => user, up: false);

        Assert.That(states, Has.All.EqualTo((1, false)));
        Assert.That(await StoredAsync(kind, id, user), Is.EqualTo((1, false)));
    }

    [TestCase("questions")]
    [TestCase("answers")]
    public async Task Upvote_PutsAndDeletesRacingForOneUser_KeepCountAndVoteInStep(string kind)
    {
        var id = await VotableAsync(kind);
        var user = ApiClient.NewUser();

        await VoteAllAtOnceAsync(kind, id, _ => user, up: null);

        var (upvotes, upvotedByMe) = await StoredAsync(kind, id, user);
        Assert.That(upvotes, Is.EqualTo(upvotedByMe ? 1 : 0), "the count is the number of votes stored");
    }

    private static async Task<HttpResponseMessage[]> AllAtOnceAsync(Func<int, Task<HttpResponseMessage>> send) =>
        await Task.WhenAll(Enumerable.Range(0, Fifty).Select(n => Task.Run(() => send(n))));

    /// <summary>Sends fifty votes at once; <paramref name="up"/> null alternates PUT and DELETE.</summary>
    private async Task<IReadOnlyList<(int Upvotes, bool UpvotedByMe)>> VoteAllAtOnceAsync(string kind, long id, Func<int, Guid> user, bool? up)
    {
        var responses = await AllAtOnceAsync(n => Api.VoteAsync(kind, id, user(n), up ?? n % 2 == 0));
        var states = new List<(int, bool)>();
        foreach (var response in responses)
        {
            using (response)
            {
                states.Add(State(await ApiClient.ReadJsonAsync(response, HttpStatusCode.OK)));
            }
        }

        return states;
    }

    /// <summary>The stored count and whether <paramref name="user"/> has voted, read back as a page would.</summary>
    private async Task<(int Upvotes, bool UpvotedByMe)> StoredAsync(string kind, long id, Guid? user)
    {
        if (kind == "questions")
        {
            return State(await Api.GetJsonAsync($"/api/questions/{id}", user));
        }

        var question = _answerQuestions[id];
        var answers = await Api.GetJsonAsync(Lists.Answers(question), user);
        return State(answers.GetProperty("items").EnumerateArray().Single(a => a.GetProperty("id").GetInt64() == id));
    }

    private static (int Upvotes, bool UpvotedByMe) State(JsonElement item) =>
        (item.GetProperty("upvotes").GetInt32(), item.GetProperty("upvotedByMe").GetBoolean());

    private async Task<long> VotableAsync(string kind)
    {
        var question = await AskAsync();
        if (kind == "questions")
        {
            return question;
        }

        var answer = (await Api.AnswerAsync(question, "Because both sides pick an initial sequence number.")).GetProperty("id").GetInt64();
        _answerQuestions[answer] = question;
        return answer;
    }

    private async Task<long> AskAsync() =>
        (await Api.AskAsync(_courseId, "How does TCP pick its initial sequence number?")).GetProperty("id").GetInt64();

    private async Task<int> QuestionCountAsync() =>
        (await Api.GetJsonAsync($"/api/courses/{_courseId}")).GetProperty("questionCount").GetInt32();
}
