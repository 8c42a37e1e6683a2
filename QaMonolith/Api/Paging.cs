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
