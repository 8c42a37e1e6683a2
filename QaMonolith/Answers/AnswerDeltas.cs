using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using QaMonolith.Shared.Contracts;
using QaMonolith.Shared.Redis;
using StackExchange.Redis;

namespace QaMonolith.Answers;

/// <summary>
/// Publishes answer.delta to <c>qa:live</c> while a model writes. Deltas are a courtesy to whoever watches: each is
/// sent fire-and-forget (no round trip awaited, so a slow Redis cannot slow an answer) and one that cannot be sent is
/// dropped, never retried. The saved answer's answer.created, through the outbox, is what counts.
/// </summary>
internal sealed class AnswerDeltas(
    IConnectionMultiplexer redis,
    RedisKeys keys,
    IOptions<RedisOptions> redisOptions,
    IOptions<LlmOptions> llmOptions,
    TimeProvider time,
    ILogger<AnswerDeltas> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private long _published;
    private long _dropped;
    private int _warned;

    public long Published => Interlocked.Read(ref _published);

    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>The deltas of one slot of one question; its seq grows across retries of that slot.</summary>
    public SlotDeltas For(QuestionToAnswer question, int slot) => new(this, question, slot, llmOptions.Value, time);

    internal void Publish(AnswerDelta delta)
    {
        try
        {
            redis.GetDatabase().StreamAdd(keys.Live,
                [new NameValueEntry("type", EventTypes.AnswerDelta), new NameValueEntry("data", JsonSerializer.Serialize(delta, Json))],
                maxLength: redisOptions.Value.LiveMaxLength, useApproximateMaxLength: true, flags: CommandFlags.FireAndForget);
            Interlocked.Increment(ref _published);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            Interlocked.Increment(ref _dropped);
            if (Interlocked.Exchange(ref _warned, 1) == 0)
            {
                logger.LogWarning(ex, "Dropping answer deltas while Redis cannot take them; answers are saved as usual");
            }
        }
    }
}

/// <summary>
/// One slot's deltas: the first piece of text at once, then at most one per Llm:DeltaInterval, and the final text
/// just before it is saved, so a page's placeholder ends with exactly what answer.created brings.
/// </summary>
internal sealed class SlotDeltas(AnswerDeltas deltas, QuestionToAnswer question, int slot, LlmOptions options, TimeProvider time)
{
    private int _seq;
    private long _lastAt;
    private string _lastText = "";

    /// <summary>Called with all the text so far after each new piece; sends it when the interval allows.</summary>
    public void Progress(StringBuilder text)
    {
        var now = time.GetTimestamp();
        if (_seq > 0 && time.GetElapsedTime(_lastAt, now) < options.DeltaInterval)
        {
            return;
        }

        Send(AnswerText.Clean(text.ToString(), options.MaxAnswerLength), now);
    }

    /// <summary>The text about to be saved, unless the last delta already said it.</summary>
    public void Final(string text) => Send(text, time.GetTimestamp());

    private void Send(string text, long now)
    {
        if (text.Length == 0 || text == _lastText)
        {
            return;
        }

        _lastText = text;
        _lastAt = now;
        deltas.Publish(new AnswerDelta(question.CourseId, question.QuestionId, slot, ++_seq, text));
    }
}
