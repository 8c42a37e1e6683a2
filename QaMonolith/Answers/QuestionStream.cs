using System.Globalization;
using System.Text.Json;
using QaMonolith.Shared.Contracts;
using QaMonolith.Shared.Redis;
using StackExchange.Redis;

namespace QaMonolith.Answers;

/// <summary>One entry of <c>qa:questions</c> as this consumer got it, with how often the group has delivered it.</summary>
internal sealed record Delivery(RedisValue Id, NameValueEntry[] Values, long Deliveries)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string? Field(string name) => Values.FirstOrDefault(v => v.Name == name).Value is { IsNull: false } value ? value.ToString() : null;

    /// <summary>The question it asks about; a <see cref="FormatException"/> when the entry is not a readable question.asked.</summary>
    public QuestionAsked Question()
    {
        if (Field("type") is { } type && type != EventTypes.QuestionAsked)
        {
            throw new FormatException($"Entry {Id} is a {type}, not a {EventTypes.QuestionAsked}");
        }

        try
        {
            return JsonSerializer.Deserialize<QuestionAsked>(Field("data") ?? "", Json) is { QuestionId: > 0, Text: not null, CourseName: not null } asked
                ? asked
                : throw new FormatException($"Entry {Id} has no question in its data");
        }
        catch (JsonException ex)
        {
            throw new FormatException($"Entry {Id} has data that is not JSON: {ex.Message}", ex);
        }
    }

    public long? TryQuestionId()
    {
        try
        {
            return Question().QuestionId;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>
/// The consumer-group operations on <c>qa:questions</c>. Everything runs on the shared multiplexer except the
/// blocking read, which has a dedicated one (see <see cref="BlockingReader"/>).
/// </summary>
internal sealed class QuestionStream(IConnectionMultiplexer redis, RedisKeys keys)
{
    public const string Group = "answers";

    /// <summary>Above this many entries in flight the sweep cannot tell what is missing and waits for a quieter moment.</summary>
    private const int InFlightLimit = 10_000;

    private IDatabase Db => redis.GetDatabase();

    public RedisKey Key => keys.Questions;

    /// <summary>From the start of the stream, so questions asked before any worker ran are answered too.</summary>
    public async Task EnsureGroupAsync()
    {
        try
        {
            await Db.StreamCreateConsumerGroupAsync(Key, Group, StreamPosition.Beginning, createStream: true);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another process, or an earlier start, made it.
        }
    }

    /// <summary>This consumer's own pending entries after <paramref name="after"/>: what it held when it last stopped.</summary>
    public async Task<IReadOnlyList<Delivery>> ReadOwnPendingAsync(string consumer, RedisValue after, int count)
    {
        var entries = await Db.StreamReadGroupAsync(Key, Group, consumer, after, count);
        return await WithDeliveriesAsync(entries);
    }

    /// <summary>Entries idle longer than <paramref name="minIdle"/>, whoever held them: a dead consumer's, or ones that failed here.</summary>
    public async Task<IReadOnlyList<Delivery>> ClaimIdleAsync(string consumer, TimeSpan minIdle, int count)
    {
        var claimed = await Db.StreamAutoClaimAsync(Key, Group, consumer, (long)minIdle.TotalMilliseconds, "0-0", count);
        return await WithDeliveriesAsync(claimed.ClaimedEntries);
    }

    /// <summary>
    /// Resets the idle time of entries still being worked on, so no one claims them meanwhile. JUSTID leaves their
    /// delivery counts alone.
    /// </summary>
    public Task HeartbeatAsync(string consumer, RedisValue[] ids) =>
        ids.Length == 0 ? Task.CompletedTask : Db.StreamClaimIdsOnlyAsync(Key, Group, consumer, 0, ids);

    public Task AckAsync(RedisValue id) => Db.StreamAcknowledgeAsync(Key, Group, id);

    /// <summary>Copies the entry with its error and attempt count to <c>qa:questions:dead</c>, then acks it.</summary>
    public async Task DeadLetterAsync(Delivery delivery, string consumer, Exception error)
    {
        NameValueEntry[] fields =
        [
            .. delivery.Values,
            new("entryId", delivery.Id),
            new("error", $"{error.GetType().Name}: {error.Message}"),
            new("attempts", delivery.Deliveries),
            new("consumer", consumer),
            new("failedAt", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture)),
        ];
        await Db.StreamAddAsync(keys.QuestionsDead, fields, maxLength: 10_000, useApproximateMaxLength: true);
        await AckAsync(delivery.Id);
    }

    /// <summary>
    /// The question ids of every entry still to be answered: pending with any consumer, or not yet delivered. Null
    /// when there are too many to read. Reads what is undelivered first, so an entry moving into the pending list
    /// meanwhile is seen in one or the other.
    /// </summary>
    public async Task<HashSet<long>?> QuestionsInFlightAsync()
    {
        if (!await Db.KeyExistsAsync(Key))
        {
            return [];
        }

        var groups = await Db.StreamGroupInfoAsync(Key);
        var group = groups.FirstOrDefault(g => g.Name == Group);
        var lastDelivered = group.Name is null ? "0-0" : group.LastDeliveredId ?? "0-0";
        var undelivered = await Db.StreamRangeAsync(Key, "(" + lastDelivered, "+", InFlightLimit + 1);
        if (undelivered.Length > InFlightLimit)
        {
            return null;
        }

        var pending = group.Name is null ? [] : await Db.StreamPendingMessagesAsync(Key, Group, InFlightLimit + 1, RedisValue.Null);
        if (pending.Length > InFlightLimit)
        {
            return null;
        }

        var pendingEntries = await Task.WhenAll(pending.Select(p => Db.StreamRangeAsync(Key, p.MessageId, p.MessageId, 1)));
        var ids = new HashSet<long>();
        foreach (var entry in undelivered.Concat(pendingEntries.SelectMany(e => e)))
        {
            if (!entry.IsNull && new Delivery(entry.Id, entry.Values, 0).TryQuestionId() is { } id)
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    /// <summary>Removes consumers that left long ago with nothing pending, so restarts do not grow the group's list.</summary>
    public async Task<IReadOnlyList<string>> PruneConsumersAsync(string self, TimeSpan expiry)
    {
        var removed = new List<string>();
        foreach (var consumer in await Db.StreamConsumerInfoAsync(Key, Group))
        {
            if (consumer.Name != self && consumer.PendingMessageCount == 0 && consumer.IdleTimeInMilliseconds > expiry.TotalMilliseconds)
            {
                await Db.StreamDeleteConsumerAsync(Key, Group, consumer.Name);
                removed.Add(consumer.Name);
            }
        }

        return removed;
    }

    private async Task<IReadOnlyList<Delivery>> WithDeliveriesAsync(StreamEntry[] entries)
    {
        if (entries.Length == 0)
        {
            return [];
        }

        var counts = await Task.WhenAll(entries.Select(e => Db.StreamPendingMessagesAsync(Key, Group, 1, RedisValue.Null, e.Id, e.Id)));
        return entries.Select((e, i) => new Delivery(e.Id, e.Values ?? [], counts[i] is [var info] ? info.DeliveryCount : 1)).ToArray();
    }
}
