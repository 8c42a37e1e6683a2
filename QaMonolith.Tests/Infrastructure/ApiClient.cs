using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace QaMonolith.Tests.Infrastructure;

/// <summary>The REST API as a test speaks it: raw responses, so every test can assert status, headers and body.</summary>
public sealed class ApiClient(HttpClient http) : IDisposable
{
    public HttpClient Http { get; } = http;

    public static Guid NewUser() => Guid.NewGuid();

    public Task<HttpResponseMessage> GetAsync(string path, Guid? user = null) => SendAsync(HttpMethod.Get, path, user);

    public Task<HttpResponseMessage> PostQuestionAsync(long courseId, string text, Guid? user) =>
        SendAsync(HttpMethod.Post, $"/api/courses/{courseId}/questions", user, JsonContent.Create(new { text }));

    public Task<HttpResponseMessage> PostAnswerAsync(long questionId, string text, Guid? user) =>
        SendAsync(HttpMethod.Post, $"/api/questions/{questionId}/answers", user, JsonContent.Create(new { text }));

    /// <summary><paramref name="kind"/> is "questions" or "answers".</summary>
    public Task<HttpResponseMessage> VoteAsync(string kind, long id, Guid? user, bool up = true) =>
        SendAsync(up ? HttpMethod.Put : HttpMethod.Delete, $"/api/{kind}/{id}/upvote", user);

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, Guid? user = null, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (user is { } id)
        {
            request.Headers.Add("X-User-Id", id.ToString());
        }

        return await Http.SendAsync(request);
    }

    /// <summary>GETs and returns the JSON body, failing the test unless the status is 200.</summary>
    public async Task<JsonElement> GetJsonAsync(string path, Guid? user = null)
    {
        using var response = await GetAsync(path, user);
        return await ReadJsonAsync(response, HttpStatusCode.OK);
    }

    /// <summary>Posts a question and returns it, failing the test unless it was created.</summary>
    public async Task<JsonElement> AskAsync(long courseId, string text, Guid? user = null)
    {
        using var response = await PostQuestionAsync(courseId, text, user ?? NewUser());
        return await ReadJsonAsync(response, HttpStatusCode.Created);
    }

    public async Task<JsonElement> AnswerAsync(long questionId, string text, Guid? user = null)
    {
        using var response = await PostAnswerAsync(questionId, text, user ?? NewUser());
        return await ReadJsonAsync(response, HttpStatusCode.Created);
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(expected), body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public void Dispose() => Http.Dispose();
}

public static class Problem
{
    /// <summary>Asserts an RFC 7807 document with the status, a title and a detail, and no trace of internals.</summary>
    public static async Task<JsonElement> AssertAsync(HttpResponseMessage response, HttpStatusCode status, string? detailContains = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(status), body);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), body);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Multiple(() =>
        {
            Assert.That(problem.GetProperty("status").GetInt32(), Is.EqualTo((int)status));
            Assert.That(problem.GetProperty("title").GetString(), Is.Not.Empty);
            Assert.That(problem.TryGetProperty("detail", out var detail) ? detail.GetString() : null, Is.Not.Empty, "a problem says what to do in its detail");
            Assert.That(body, Does.Not.Contain("   at ").And.Not.Contain("Exception"), "no stack trace");
        });
        if (detailContains is not null)
        {
            Assert.That(problem.GetProperty("detail").GetString(), Does.Contain(detailContains));
        }

        return problem;
    }
}
