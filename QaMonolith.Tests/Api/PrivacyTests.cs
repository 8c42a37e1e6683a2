using System.Net;
using System.Text.Json;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Api;

/// <summary>The user id is the user's only secret: no response shows it, to its owner or to anyone else.</summary>
public sealed class PrivacyTests : ApiFixture
{
    [Test]
    public async Task NoResponse_ContainsThePostersUserId()
    {
        var poster = Guid.Parse("5e1f0c2a-7b3d-4c8e-9a6f-0d2b4e6a8c1f");
        var seen = new List<(string What, string Response)>();

        async Task<JsonElement> RecordAsync(string what, Task<HttpResponseMessage> sending, HttpStatusCode expected)
        {
            using var response = await sending;
            var body = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(expected), $"{what}: {body}");
            seen.Add((what, $"{response.Headers}{response.Content.Headers}{body}"));
            return JsonDocument.Parse(body).RootElement.Clone();
        }

        var questionId = (await RecordAsync("post question", Api.PostQuestionAsync(CourseId, "Whose question is this?", poster), HttpStatusCode.Created))
            .GetProperty("id").GetInt64();
        var answerId = (await RecordAsync("post answer", Api.PostAnswerAsync(questionId, "Nobody can tell.", poster), HttpStatusCode.Created))
            .GetProperty("id").GetInt64();
        await RecordAsync("a second question", Api.PostQuestionAsync(CourseId, "And this one?", poster), HttpStatusCode.TooManyRequests);
        await RecordAsync("an empty answer", Api.PostAnswerAsync(questionId, " ", poster), HttpStatusCode.BadRequest);
        await RecordAsync("upvote question", Api.VoteAsync("questions", questionId, poster), HttpStatusCode.OK);
        await RecordAsync("upvote answer", Api.VoteAsync("answers", answerId, poster), HttpStatusCode.OK);
        foreach (var (who, reader) in new (string, Guid?)[] { ("the poster", poster), ("another user", ApiClient.NewUser()), ("no one", null) })
        {
            await RecordAsync($"courses, read by {who}", Api.GetAsync("/api/courses", reader), HttpStatusCode.OK);
            await RecordAsync($"course, read by {who}", Api.GetAsync($"/api/courses/{CourseId}", reader), HttpStatusCode.OK);
            await RecordAsync($"question list, read by {who}", Api.GetAsync($"/api/courses/{CourseId}/questions", reader), HttpStatusCode.OK);
            await RecordAsync($"question, read by {who}", Api.GetAsync($"/api/questions/{questionId}", reader), HttpStatusCode.OK);
            await RecordAsync($"answer list, read by {who}", Api.GetAsync($"/api/questions/{questionId}/answers", reader), HttpStatusCode.OK);
        }

        using (Assert.EnterMultipleScope())
        {
            foreach (var (what, response) in seen)
            {
                Assert.That(response, Does.Not.Contain(poster.ToString("D")).IgnoreCase.And.Not.Contain(poster.ToString("N")).IgnoreCase, what);
            }
        }
    }
}
