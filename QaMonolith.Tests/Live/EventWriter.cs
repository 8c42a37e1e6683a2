using System.Text.Json;
using StackExchange.Redis;

namespace QaMonolith.Tests.Live;

/// <summary>
/// Writes <c>qa:events</c> entries exactly as the outbox relay does (fields type, data, outboxId), so a test can
/// produce hundreds of events without posting them. One instance per app key prefix.
/// </summary>
public sealed class EventWriter(IConnectionMultiplexer redis, string keyPrefix)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static long s_outboxId = 1_000_000;

    public RedisKey Key { get; } = keyPrefix + "qa:events";

    public IDatabase Db => redis.GetDatabase();

    /// <summary>A question.created for the course; returns the entry's stream id.</summary>
    public async Task<string> QuestionCreatedAsync(long courseId, long questionId, string text = "What is a monad?")
    {
        var now = DateTime.UtcNow;
        var data = new
        {
            courseId,
            question = new { id = questionId, courseId, text, upvotes = 0, answerCount = 0, createdAt = now, lastActivityAt = now, upvotedByMe = false },
        };
        return await AddAsync("question.created", data);
    }

    public async Task<string> AnswerCreatedAsync(long courseId, long questionId, long answerId, string text = "A monoid in the category of endofunctors.")
    {
        var now = DateTime.UtcNow;
        var data = new
        {
            courseId,
            questionId,
            answer = new { id = answerId, questionId, text, upvotes = 0, createdAt = now, lastActivityAt = now, author = new { kind = "user" }, upvotedByMe = false },
        };
        return await AddAsync("answer.created", data);
    }

    /// <summary>Many question.created entries for one course, pipelined; returns their ids in stream order.</summary>
    public async Task<string[]> QuestionsCreatedAsync(long courseId, int count, long firstQuestionId = 1, string text = "What is a monad?")
    {
        var adds = Enumerable.Range(0, count).Select(i => QuestionCreatedAsync(courseId, firstQuestionId + i, text)).ToArray();
        return await Task.WhenAll(adds);
    }

    public async Task<string> AddAsync(string type, object data) =>
        (string)(await Db.StreamAddAsync(Key,
        [
            new NameValueEntry("type", type),
            new NameValueEntry("data", JsonSerializer.Serialize(data, Json)),
            new NameValueEntry("outboxId", Interlocked.Increment(ref s_outboxId)),
        ]))!;

    /// <summary>Every id the stream holds after <paramref name="after"/> (exclusive), in order.</summary>
    public async Task<string[]> IdsAfterAsync(string after) =>
        [.. (await Db.StreamRangeAsync(Key, "(" + after)).Select(e => (string)e.Id!)];
}
