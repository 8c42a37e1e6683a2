using System.Text.Json;
using Dapper;
using Npgsql;
using QaMonolith.Tests.Infrastructure;
using QaMonolith.Tests.Live;

namespace QaMonolith.Tests.Answers;

/// <summary>What a socket on a question should see while a streaming model answers it, and ways to watch from the start.</summary>
internal static class StreamingAssertions
{
    /// <summary>
    /// The id the next question of this app's database will get, so a socket can watch it before it is asked (the
    /// tiny model answers within milliseconds of the ask). Safe because nothing else in the fixture asks meanwhile.
    /// </summary>
    public static Task<long> NextQuestionIdAsync(QaApp app) => NextQuestionIdAsync(app.PostgresConnectionString);

    /// <inheritdoc cref="NextQuestionIdAsync(QaApp)"/>
    public static async Task<long> NextQuestionIdAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        var (last, called) = await connection.QuerySingleAsync<(long, bool)>(
            "select last_value, is_called from questions_id_seq");
        return called ? last + 1 : last;
    }

    /// <summary>Every frame after hello until <paramref name="slots"/> model answers have arrived as answer.created.</summary>
    public static async Task<List<JsonElement>> UntilSavedAsync(LiveClient client, int slots)
    {
        var frames = new List<JsonElement>();
        while (Created(frames).Count() < slots)
        {
            frames.Add(await client.NextAsync(TimeSpan.FromSeconds(20)));
        }

        return frames;
    }

    /// <summary>
    /// A socket on another question: its own answer.created may still trickle in (saved just before it connected),
    /// but no delta may arrive within a short wait.
    /// </summary>
    public static async Task AssertNoDeltasAsync(LiveClient client)
    {
        var frames = new List<JsonElement>();
        while (await client.TryNextAsync(TimeSpan.FromMilliseconds(300)) is { } frame)
        {
            frames.Add(frame);
        }

        Assert.That(frames.Select(f => f.GetProperty("type").GetString()), Has.None.EqualTo("answer.delta"), "another question's socket gets no deltas");
    }

    public static IEnumerable<JsonElement> Created(IEnumerable<JsonElement> frames) =>
        frames.Where(f => f.GetProperty("type").GetString() == "answer.created");

    public static IEnumerable<JsonElement> Deltas(IEnumerable<JsonElement> frames, int slot) =>
        frames.Where(f => f.GetProperty("type").GetString() == "answer.delta" && f.GetProperty("slot").GetInt32() == slot);

    /// <summary>
    /// Per slot: at least <paramref name="minDeltasPerSlot"/> deltas, seq rising, each text extending the one before,
    /// none with an eventId, the last one equal to the saved answer's text, and all of them before its answer.created.
    /// </summary>
    public static void DeltasGrowToTheSavedText(List<JsonElement> frames, int slots, int minDeltasPerSlot)
    {
        Assert.Multiple(() =>
        {
            for (var slot = 0; slot < slots; slot++)
            {
                var created = Created(frames).Single(f => f.GetProperty("slot").GetInt32() == slot);
                var deltas = Deltas(frames, slot).ToList();
                var texts = deltas.Select(d => d.GetProperty("text").GetString()!).ToList();
                var seqs = deltas.Select(d => d.GetProperty("seq").GetInt32()).ToList();
                Assert.That(deltas, Has.Count.GreaterThanOrEqualTo(minDeltasPerSlot), $"slot {slot}: {string.Join(" | ", texts)}");
                Assert.That(seqs, Is.Ordered.Ascending.And.Unique, $"slot {slot} seq");
                for (var i = 1; i < texts.Count; i++)
                {
                    Assert.That(texts[i], Does.StartWith(texts[i - 1]).And.Length.GreaterThan(texts[i - 1].Length), $"slot {slot} delta {i} grows");
                }

                Assert.That(texts.LastOrDefault(), Is.EqualTo(created.GetProperty("answer").GetProperty("text").GetString()), $"slot {slot} ends as saved");
                Assert.That(frames.IndexOf(deltas[^1]), Is.LessThan(frames.IndexOf(created)), $"slot {slot}: deltas come before answer.created");
                Assert.That(deltas.Select(d => d.TryGetProperty("eventId", out _)), Is.All.False, "deltas are not resume points");
                Assert.That(deltas.Select(d => d.GetProperty("questionId").GetInt64()), Is.All.EqualTo(created.GetProperty("questionId").GetInt64()));
            }
        });
    }
}
