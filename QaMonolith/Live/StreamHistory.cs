using System.Text.Json;
using StackExchange.Redis;

namespace QaMonolith.Live;

/// <summary>What the stream still holds, and reading it back for a resume.</summary>
internal static class StreamHistory
{
    /// <param name="LastGenerated">The newest id the stream ever handed out.</param>
    /// <param name="MaxDeleted">The newest id XDEL removed; 0-0 when none was.</param>
    /// <param name="First">The oldest id the stream still holds; null when it is empty.</param>
    /// <param name="Trimmed">Whether the stream ever lost entries (added more than it holds).</param>
    internal sealed record State(StreamId LastGenerated, StreamId MaxDeleted, StreamId? First, bool Trimmed);

    /// <summary>XINFO STREAM; null when the stream does not exist (nothing was ever added, or Redis lost it).</summary>
    public static async Task<State?> InfoAsync(IDatabase db, RedisKey stream)
    {
        StreamInfo info;
        try
        {
            info = await db.StreamInfoAsync(stream);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("no such key", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return new State(
            StreamId.Parse(info.LastGeneratedId),
            StreamId.TryParse(info.MaxDeletedEntryId, out var deleted) ? deleted : StreamId.Zero,
            info.Length > 0 && StreamId.TryParse(info.FirstEntry.Id, out var first) ? first : null,
            info.EntriesAdded > info.Length);
    }

    /// <summary>
    /// Whether a client that has seen everything up to <paramref name="after"/> can be brought up to date from
    /// the stream. Not when the token is newer than anything the stream ever handed out (Redis lost the stream and
    /// it was recreated), nor when entries after it may be gone. Trimming (MAXLEN) does not record what it
    /// removed (Redis 7 updates max-deleted-entry-id for XDEL only), so once the stream has lost entries, a token
    /// older than its oldest entry counts as too old. That errs on the safe side: at worst a client whose token was
    /// the very last entry trimmed reloads over REST instead of replaying nothing.
    /// </summary>
    public static bool CanResume(State? state, StreamId after)
    {
        if (state is null)
        {
            return after == StreamId.Zero;
        }

        if (after > state.LastGenerated || after < state.MaxDeleted)
        {
            return false;
        }

        if (!state.Trimmed)
        {
            return true;
        }

        // Trimming takes from the head only: nothing at or after the oldest kept entry is gone.
        return state.First is { } first ? after >= first : after == state.LastGenerated;
    }

    /// <summary>
    /// Calls <paramref name="send"/> for each event after <paramref name="after"/> up to and including
    /// <paramref name="upTo"/> whose topic <paramref name="wanted"/> accepts, in stream order, a page at a time.
    /// Returns the id of the last event sent, or <paramref name="after"/> if none was.
    /// </summary>
    public static async Task<StreamId> ReplayAsync(
        IDatabase db, RedisKey stream, StreamId after, StreamId upTo, int pageSize, Func<string, bool> wanted,
        Func<LiveEvent, Task> send, ILogger logger)
    {
        var sent = after;
        var from = after;
        while (from < upTo)
        {
            // "(" makes the start exclusive (Redis 6.2+): the page starts right after what the client has.
            var page = await db.StreamRangeAsync(stream, "(" + from, upTo.ToString(), pageSize);
            foreach (var entry in page)
            {
                from = StreamId.Parse(entry.Id);
                var e = ToEvent(from, entry["type"], entry["data"], logger);
                if (e is not null && wanted(e.Topic))
                {
                    await send(e);
                    sent = e.Id;
                }
            }

            if (page.Length < pageSize)
            {
                break;
            }
        }

        return sent;
    }

    /// <summary>The events of a batch of entries, leaving out those Live does not forward or cannot read.</summary>
    public static List<LiveEvent> ToEvents(StreamEntryFields[] entries, ILogger logger)
    {
        var events = new List<LiveEvent>(entries.Length);
        foreach (var entry in entries)
        {
            if (ToEvent(entry.Id, entry.Type, entry.Data, logger) is { } e)
            {
                events.Add(e);
            }
        }

        return events;
    }

    /// <summary>The event of an entry; null (logged) for one Live does not forward or cannot read.</summary>
    public static LiveEvent? ToEvent(StreamId id, string? type, string? data, ILogger logger)
    {
        try
        {
            return LiveEvent.FromEntry(id, type, data);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            // One bad entry must not stop the stream; the others still go out, this one is skipped for everyone.
            logger.LogWarning(ex, "Skipping stream entry {EntryId} of type {Type}: its data is not the contract's shape", id, type);
            return null;
        }
    }
}
