using System.Diagnostics.CodeAnalysis;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace QaMonolith.Api;

/// <summary><c>{"items": [...], "nextCursor": ...}</c>: one keyset page.</summary>
internal sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor)
{
    /// <summary>
    /// Cuts <paramref name="rows"/> (fetched with at least one row more than <paramref name="limit"/>, or the cached
    /// first 101) to a page; the extra row only says that another page exists.
    /// </summary>
    public static Page<T> Slice(IReadOnlyList<T> rows, int limit, Func<T, Cursor> cursorOf) =>
        rows.Count > limit
            ? new Page<T>(rows.Take(limit).ToArray(), cursorOf(rows[limit - 1]).Encode())
            : new Page<T>(rows, null);
}

/// <summary><c>{"items": [...]}</c>: a whole list.</summary>
internal sealed record ItemList<T>(IReadOnlyList<T> Items);

internal static class CursorScopes
{
    public const char Course = 'c';
    public const char Question = 'q';
}

/// <summary>What a list request asks for: whose list, how many, after which item, for which reader.</summary>
internal sealed record ListRequest(long ParentId, int Limit, Cursor? After, Guid? User)
{
    /// <summary>The first page is cached whole, up to the largest limit and one more to tell if a next page exists.</summary>
    public const int CachedRows = Input.MaxLimit + 1;

    public static bool TryParse(
        string rawId, string idName, char scope, string? limit, string? cursor, HttpRequest request,
        [NotNullWhen(true)] out ListRequest? list, [NotNullWhen(false)] out ProblemHttpResult? problem)
    {
        list = null;
        if (!Input.TryId(rawId, idName, out var id, out problem)
            || !Input.TryLimit(limit, out var take, out problem)
            || !Input.TryUser(request, required: false, out var user, out problem))
        {
            return false;
        }

        Cursor? after = null;
        if (cursor is not null && !Cursor.TryDecode(cursor, scope, id, out after))
        {
            problem = Problems.BadRequest("Invalid cursor", "cursor is not one this list handed out; start again without it.");
            return false;
        }

        list = new ListRequest(id, take, after, user);
        return true;
    }

    /// <summary>
    /// The rows of the page asked for, from the cache of the list's <paramref name="scope"/>: the first page as its
    /// first <see cref="CachedRows"/> rows (they serve every limit), a cursor page under its limit and position.
    /// Every page sits under the scope, so the write that changes the list drops them all. Both queries take
    /// @ParentId and @Take, the next page also @LastActivityAt and @Id. Null when the parent does not exist. Both
    /// callbacks get the load's token, not a reader's: the load may be shared by readers that came later.
    /// </summary>
    public ValueTask<IReadOnlyList<T>?> RowsAsync<T>(
        PageCache cache, string scope, string firstPageSql, string nextPageSql,
        Func<string, object, CancellationToken, Task<IReadOnlyList<T>>> load, Func<CancellationToken, Task<bool>> parentExists, CancellationToken cancellationToken) =>
        After is { } after
            ? cache.GetOrLoadAsync(scope, $"{Limit}:{after.LastActivityAt.Ticks}:{after.Id}", ct => UnlessParentMissingAsync(
                load(nextPageSql, new { ParentId, after.LastActivityAt, after.Id, Take = Limit + 1 }, ct), () => parentExists(ct)), rows => rows.Count + 1, cancellationToken)
            : cache.GetOrLoadAsync(scope, ct => UnlessParentMissingAsync(
                load(firstPageSql, new { ParentId, Take = CachedRows }, ct), () => parentExists(ct)), rows => rows.Count + 1, cancellationToken);

    /// <summary>
    /// <paramref name="rows"/>, or null when they are empty because the parent does not exist: an empty list of a
    /// real course is a page, of a made-up id a 404 (and never a cache entry).
    /// </summary>
    private static async Task<IReadOnlyList<T>?> UnlessParentMissingAsync<T>(Task<IReadOnlyList<T>> rows, Func<Task<bool>> parentExists)
    {
        var loaded = await rows;
        return loaded.Count > 0 || await parentExists() ? loaded : null;
    }
}
