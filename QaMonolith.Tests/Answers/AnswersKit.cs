using System.Text.Json;
using Dapper;
using Npgsql;
using QaMonolith.Tests.Infrastructure;
using StackExchange.Redis;

namespace QaMonolith.Tests.Answers;

/// <summary>What the Answers tests share: an app pointed at a fake model, and ways to look at what the worker did.</summary>
internal static class AnswersKit
{
    public static readonly TimeSpan Soon = TimeSpan.FromSeconds(15);

    /// <summary>The worker's timings shrunk so retries, claims and dead-lettering happen within a test's patience.</summary>
    public static Dictionary<string, string?> FastWorker(FakeModel? fake = null)
    {
        var settings = fake?.Settings() ?? [];
        settings["Answers:ClaimIdleTime"] = "00:00:00.600";
        settings["Answers:MaxDeliveries"] = "3";
        settings["Answers:ConsumerExpiry"] = "00:00:01";
        settings["Answers:ShutdownDrain"] = "00:00:00";
        return settings;
    }

    public static Dictionary<string, string?> With(this Dictionary<string, string?> settings, string key, string? value)
    {
        settings[key] = value;
        return settings;
    }

    public static async Task<JsonElement[]> AnswersAsync(ApiClient api, long questionId) =>
        [.. (await api.GetJsonAsync($"/api/questions/{questionId}/answers?limit=100")).GetProperty("items").EnumerateArray()];

    /// <summary>Waits until the question shows <paramref name="count"/> answers, and returns them.</summary>
    public static async Task<JsonElement[]> WaitForAnswersAsync(ApiClient api, long questionId, int count, TimeSpan? timeout = null)
    {
        JsonElement[] answers = [];
        await Eventually.TrueAsync(async () => (answers = await AnswersAsync(api, questionId)).Length >= count,
            timeout ?? Soon, $"{count} answers to question {questionId}");
        return answers;
    }

    /// <summary>The model answers saved for a question, by slot, straight from the database.</summary>
    public static async Task<List<(int Slot, string Model, string Text)>> SlotsAsync(QaApp app, long questionId)
    {
        await using var connection = new NpgsqlConnection(app.PostgresConnectionString);
        return (await connection.QueryAsync<(int, string, string)>(
            "select llm_slot, llm_model, text from answers where question_id = @questionId and llm_slot is not null order by llm_slot",
            new { questionId })).AsList();
    }

    public static async Task<bool> OwedAsync(QaApp app, long questionId)
    {
        await using var connection = new NpgsqlConnection(app.PostgresConnectionString);
        return await connection.ExecuteScalarAsync<bool>("select exists (select 1 from answer_requests where question_id = @questionId and dead_at is null)", new { questionId });
    }

    public static async Task<IConnectionMultiplexer> RedisAsync(QaApp app) => await ConnectionMultiplexer.ConnectAsync(app.RedisConnectionString);

    /// <summary>The data of every entry of type <paramref name="type"/> on a stream, in order.</summary>
    public static async Task<List<JsonElement>> EntriesAsync(IConnectionMultiplexer redis, QaApp app, string stream, string type)
    {
        var entries = await redis.GetDatabase().StreamRangeAsync(app.KeyPrefix + stream);
        return [.. entries.Where(e => e["type"] == type).Select(e => JsonDocument.Parse(e["data"].ToString()).RootElement.Clone())];
    }

    public static async Task<List<JsonElement>> AnswerCreatedAsync(IConnectionMultiplexer redis, QaApp app, long questionId) =>
        [.. (await EntriesAsync(redis, app, "qa:events", "answer.created")).Where(e => e.GetProperty("questionId").GetInt64() == questionId)];

    public static async Task<long> AskAsync(ApiClient api, string text, long courseId = 3) =>
        (await api.AskAsync(courseId, text)).GetProperty("id").GetInt64();
}
