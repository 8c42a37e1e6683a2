using System.Net;
using System.Text.Json;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Api;

/// <summary>A question or answer as the ordering and paging tests look at it.</summary>
internal sealed record Listed(long Id, DateTime CreatedAt, DateTime LastActivityAt, int Upvotes)
{
    public static Listed From(JsonElement item) => new(
        item.GetProperty("id").GetInt64(),
        item.GetProperty("createdAt").GetDateTime(),
        item.GetProperty("lastActivityAt").GetDateTime(),
        item.GetProperty("upvotes").GetInt32());
}

/// <summary>What the list tests share: finding a course, posting in bulk, reading and walking keyset pages.</summary>
internal static class Lists
{
    public static async Task<long> CourseIdAsync(ApiClient api, string name) =>
        (await api.GetJsonAsync("/api/courses")).GetProperty("items").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == name).GetProperty("id").GetInt64();

    public static string Questions(long courseId) => $"/api/courses/{courseId}/questions";

    public static string Answers(long questionId) => $"/api/questions/{questionId}/answers";

    /// <summary>The list's order: most recently active first, then the higher id.</summary>
    public static IReadOnlyList<Listed> InListOrder(IEnumerable<Listed> items) =>
        items.OrderByDescending(i => i.LastActivityAt).ThenByDescending(i => i.Id).ToList();

    /// <summary>Posts <paramref name="count"/> questions at once, each by a new user (one question per user per interval).</summary>
    public static async Task<IReadOnlyList<Listed>> AskManyAsync(ApiClient api, long courseId, int count) =>
        await Task.WhenAll(Enumerable.Range(1, count).Select(async n => Listed.From(await api.AskAsync(courseId, $"Paging question {n}"))));

    public static async Task<IReadOnlyList<Listed>> AnswerManyAsync(ApiClient api, long questionId, int count) =>
        await Task.WhenAll(Enumerable.Range(1, count).Select(async n => Listed.From(await api.AnswerAsync(questionId, $"Paging answer {n}"))));

    /// <summary>One page: its items and its nextCursor.</summary>
    public static async Task<(IReadOnlyList<Listed> Items, string? NextCursor)> PageAsync(ApiClient api, string list, int limit, string? cursor = null)
    {
        var query = cursor is null ? $"?limit={limit}" : $"?limit={limit}&cursor={Uri.EscapeDataString(cursor)}";
        var page = await api.GetJsonAsync(list + query);
        var next = page.GetProperty("nextCursor");
        return (page.GetProperty("items").EnumerateArray().Select(Listed.From).ToList(),
            next.ValueKind == JsonValueKind.Null ? null : next.GetString());
    }

    public static async Task<IReadOnlyList<Listed>> FirstPageAsync(ApiClient api, string list) => (await PageAsync(api, list, 100)).Items;

    /// <summary>Follows nextCursor from <paramref name="cursor"/> until it is null; returns every page on the way.</summary>
    public static async Task<IReadOnlyList<IReadOnlyList<Listed>>> WalkAsync(ApiClient api, string list, int limit, string? cursor = null)
    {
        var pages = new List<IReadOnlyList<Listed>>();
        do
        {
            var (items, next) = await PageAsync(api, list, limit, cursor);
            pages.Add(items);
            cursor = next;
            Assert.That(pages, Has.Count.LessThan(1000), "the walk never ends");
        }
        while (cursor is not null);

        return pages;
    }

    public static async Task<JsonElement> VoteAsync(ApiClient api, string kind, long id, Guid user, bool up = true)
    {
        using var response = await api.VoteAsync(kind, id, user, up);
        return await ApiClient.ReadJsonAsync(response, HttpStatusCode.OK);
    }
}
