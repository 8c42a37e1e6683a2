using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dapper;
using Npgsql;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Api;

/// <summary>
/// One app for the whole fixture, with a course and a question in it to post to. Every post comes from a user
/// of its own, because a user may post one question and one answer a minute.
/// </summary>
public abstract class ApiFixture : AppFixture
{
    /// <summary>What a post goes to: a question of a course, or an answer of a question.</summary>
    public enum Target
    {
        Question,
        Answer,
    }

    // The shapes of DESIGN.md, field for field: nothing more (no author id), nothing less.
    protected static readonly string[] QuestionFields = ["id", "courseId", "text", "upvotes", "answerCount", "createdAt", "lastActivityAt", "upvotedByMe"];
    protected static readonly string[] AnswerFields = ["id", "questionId", "text", "upvotes", "createdAt", "lastActivityAt", "author", "upvotedByMe"];
    protected static readonly string[] PageFields = ["items", "nextCursor"];

    /// <summary>The course questions are posted to.</summary>
    protected long CourseId { get; private set; }

    /// <summary>A question of <see cref="CourseId"/> that answers are posted to.</summary>
    protected long QuestionId { get; private set; }

    [OneTimeSetUp]
    public async Task CreateCourseAndQuestionAsync()
    {
        CourseId = await CourseIdAsync("Databases");
        QuestionId = await AskAsync(CourseId, "What does a B-tree index buy a range query?");
    }

    protected async Task<long> CourseIdAsync(string name) =>
        (await Api.GetJsonAsync("/api/courses")).GetProperty("items").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == name).GetProperty("id").GetInt64();

    protected async Task<long> AskAsync(long courseId, string text = "Why is the sky blue?", Guid? user = null) =>
        (await Api.AskAsync(courseId, text, user)).GetProperty("id").GetInt64();

    protected async Task<long> AnswerAsync(long questionId, string text = "Rayleigh scattering.", Guid? user = null) =>
        (await Api.AnswerAsync(questionId, text, user)).GetProperty("id").GetInt64();

    /// <summary>An answer as its question's list shows it to <paramref name="user"/>.</summary>
    protected async Task<JsonElement> ListedAnswerAsync(long questionId, long answerId, Guid? user = null) =>
        (await Api.GetJsonAsync($"/api/questions/{questionId}/answers?limit=100", user)).GetProperty("items").EnumerateArray()
            .Single(a => a.GetProperty("id").GetInt64() == answerId);

    /// <summary>Sends the X-User-Id header exactly as given: any text, several times, or empty.</summary>
    protected async Task<HttpResponseMessage> SendWithUserHeaderAsync(HttpMethod method, string path, string[] userHeader, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.TryAddWithoutValidation("X-User-Id", userHeader);
        return await Api.Http.SendAsync(request);
    }

    protected string PostPath(Target target) =>
        target == Target.Question ? $"/api/courses/{CourseId}/questions" : $"/api/questions/{QuestionId}/answers";

    protected Task<HttpResponseMessage> PostAsync(Target target, HttpContent content, Guid? user) =>
        Api.SendAsync(HttpMethod.Post, PostPath(target), user, content);

    protected Task<HttpResponseMessage> PostTextAsync(Target target, string text, Guid? user) =>
        target == Target.Question ? Api.PostQuestionAsync(CourseId, text, user) : Api.PostAnswerAsync(QuestionId, text, user);

    /// <summary>How many posts the API shows under the target's parent: the course's questions or the question's answers.</summary>
    protected async Task<int> VisibleCountAsync(Target target) => target == Target.Question
        ? (await Api.GetJsonAsync($"/api/courses/{CourseId}")).GetProperty("questionCount").GetInt32()
        : (await Api.GetJsonAsync($"/api/questions/{QuestionId}")).GetProperty("answerCount").GetInt32();

    /// <summary>
    /// Sends a post that must be refused, with the status and a detail naming the fault, and checks that it lost
    /// nothing: no row and no event were written, and the sender's rate-limit slot is still free, so the same
    /// user's next valid post is created.
    /// </summary>
    protected async Task<JsonElement> AssertRefusedAsync(
        Target target, Func<Guid, Task<HttpResponseMessage>> send, HttpStatusCode status, string? detailContains)
    {
        var user = ApiClient.NewUser();
        var rowsBefore = await RowCountsAsync();
        var visibleBefore = await VisibleCountAsync(target);

        JsonElement problem;
        using (var response = await send(user))
        {
            problem = await Problem.AssertAsync(response, status, detailContains);
        }

        Assert.That(await RowCountsAsync(), Is.EqualTo(rowsBefore), "a refused post writes no row and no event");
        Assert.That(await VisibleCountAsync(target), Is.EqualTo(visibleBefore), "a refused post shows up nowhere");

        using (var retry = await PostTextAsync(target, "A valid post right after the refused one.", user))
        {
            await ApiClient.ReadJsonAsync(retry, HttpStatusCode.Created);
        }

        Assert.That(await VisibleCountAsync(target), Is.EqualTo(visibleBefore + 1));
        return problem;
    }

    /// <summary>Everything a post writes, counted in the database itself.</summary>
    protected async Task<(long Questions, long Answers, long Outbox)> RowCountsAsync()
    {
        await using var connection = new NpgsqlConnection(App.PostgresConnectionString);
        return await connection.QuerySingleAsync<(long, long, long)>(
            "select (select count(*) from questions), (select count(*) from answers), (select count(*) from outbox)");
    }

    protected static string[] PropertyNames(JsonElement item) => item.EnumerateObject().Select(p => p.Name).ToArray();

    /// <summary>A time is UTC ISO-8601 with a Z, and recent.</summary>
    protected static void AssertRecentUtc(JsonElement item, string property)
    {
        var text = item.GetProperty(property).GetString();
        Assert.That(text, Does.Match(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"), property);
        var time = DateTimeOffset.Parse(text!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(time, Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(1)), property);
    }

    /// <summary>The body of a post as a browser sends it.</summary>
    protected static string TextBody(string text) => JsonSerializer.Serialize(new { text });

    /// <summary>Raw bytes with a Content-Type of our choosing (none when null), and a Content-Length.</summary>
    protected static HttpContent Body(string raw, string? mediaType = "application/json")
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(raw));
        if (mediaType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(mediaType);
        }

        return content;
    }
}
