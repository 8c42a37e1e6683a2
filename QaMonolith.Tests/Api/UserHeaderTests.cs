using System.Net;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Api;

/// <summary>X-User-Id: writes require it, reads accept it, and it is a UUID or the request is a 400.</summary>
public sealed class UserHeaderTests : ApiFixture
{
    // Not "": the in-process test server drops an empty header, so it reaches the app as no header at all.
    public static readonly string[] NotUuids =
    [
        "abc",
        "null",
        "12345",
        "3f2b8c1e-4a5d-4e6f-8a9b-0c1d2e3f4a5",
        "3f2b8c1e-4a5d-4e6f-8a9b-0c1d2e3f4a5bc",
        "zf2b8c1e-4a5d-4e6f-8a9b-0c1d2e3f4a5b",
        "3f2b8c1e-4a5d-4e6f-8a9b-0c1d2e3f4a5b, 9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
    ];

    /// <summary>The reads that use the header, to fill upvotedByMe; {question} is replaced by a real one.</summary>
    public static readonly string[] Reads =
    [
        "/api/courses/{course}/questions",
        "/api/questions/{question}",
        "/api/questions/{question}/answers",
    ];

    [Test]
    public async Task Post_WithoutUserHeader_Returns400AndLosesNothing([Values] Target target)
    {
        await AssertRefusedAsync(target, _ => PostAsync(target, Body(TextBody("Who am I?")), user: null),
            HttpStatusCode.BadRequest, "X-User-Id");
    }

    [Test]
    public async Task Post_UserHeaderNotAUuid_Returns400AndLosesNothing([Values] Target target, [ValueSource(nameof(NotUuids))] string header)
    {
        await AssertRefusedAsync(target, _ => SendWithUserHeaderAsync(HttpMethod.Post, PostPath(target), [header], Body(TextBody("Who am I?"))),
            HttpStatusCode.BadRequest, "X-User-Id");
    }

    [Test]
    public async Task Vote_WithoutUserHeader_Returns400AndCountsNothing([Values("PUT", "DELETE")] string method, [Values("questions", "answers")] string kind)
    {
        await AssertVoteRefusedAsync(kind, path => Api.SendAsync(new HttpMethod(method), path, user: null));
    }

    [Test]
    public async Task Vote_UserHeaderNotAUuid_Returns400AndCountsNothing(
        [Values("PUT", "DELETE")] string method, [Values("questions", "answers")] string kind, [ValueSource(nameof(NotUuids))] string header)
    {
        await AssertVoteRefusedAsync(kind, path => SendWithUserHeaderAsync(new HttpMethod(method), path, [header]));
    }

    [Test]
    public async Task Read_UserHeaderNotAUuid_Returns400([ValueSource(nameof(Reads))] string read, [ValueSource(nameof(NotUuids))] string header)
    {
        using var response = await SendWithUserHeaderAsync(HttpMethod.Get, PathOf(read), [header]);

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "X-User-Id");
    }

    [Test]
    public async Task Read_TwoUserHeaders_Returns400([ValueSource(nameof(Reads))] string read)
    {
        using var response = await SendWithUserHeaderAsync(HttpMethod.Get, PathOf(read), [ApiClient.NewUser().ToString(), ApiClient.NewUser().ToString()]);

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "X-User-Id");
    }

    [Test]
    public async Task Post_TwoUserHeaders_Returns400AndLosesNothing([Values] Target target)
    {
        await AssertRefusedAsync(target,
            user => SendWithUserHeaderAsync(HttpMethod.Post, PostPath(target), [user.ToString(), ApiClient.NewUser().ToString()], Body(TextBody("Which of us?"))),
            HttpStatusCode.BadRequest, "X-User-Id");
    }

    [Test]
    public async Task UserHeaderNotAUuid_IsNotEchoedBack()
    {
        // A mistyped id is still most of someone's secret.
        var almost = ApiClient.NewUser().ToString()[..35] + "x";

        using var response = await SendWithUserHeaderAsync(HttpMethod.Post, PostPath(Target.Question), [almost], Body(TextBody("Echo?")));

        var problem = await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "X-User-Id");
        Assert.That(problem.ToString(), Does.Not.Contain(almost[..35]));
    }

    private string PathOf(string read) =>
        read.Replace("{course}", $"{CourseId}", StringComparison.Ordinal).Replace("{question}", $"{QuestionId}", StringComparison.Ordinal);

    /// <summary>Sends a vote that must be refused for its user header, to an item one other user upvoted, and checks the count held.</summary>
    private async Task AssertVoteRefusedAsync(string kind, Func<string, Task<HttpResponseMessage>> send)
    {
        var id = kind == "questions" ? await AskAsync(CourseId) : await AnswerAsync(QuestionId);
        using (var upvoted = await Api.VoteAsync(kind, id, ApiClient.NewUser()))
        {
            await ApiClient.ReadJsonAsync(upvoted, HttpStatusCode.OK);
        }

        using (var response = await send($"/api/{kind}/{id}/upvote"))
        {
            await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "X-User-Id");
        }

        var item = kind == "questions" ? await Api.GetJsonAsync($"/api/questions/{id}") : await ListedAnswerAsync(QuestionId, id);
        Assert.That(item.GetProperty("upvotes").GetInt32(), Is.EqualTo(1));
    }
}
