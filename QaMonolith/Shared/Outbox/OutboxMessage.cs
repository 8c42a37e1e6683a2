using System.Text.Json;
using Dapper;
using Npgsql;
using QaMonolith.Shared.Contracts;
using QaMonolith.Shared.Telemetry;

namespace QaMonolith.Shared.Outbox;

/// <summary>One row to publish: which stream (unprefixed name), the event type and its JSON payload.</summary>
internal sealed record OutboxMessage(string Stream, string Type, string Data)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static OutboxMessage QuestionAsked(QuestionAsked e) => new(Redis.StreamNames.Questions, EventTypes.QuestionAsked, JsonSerializer.Serialize(e, Json));

    public static OutboxMessage QuestionCreated(QuestionCreated e) => new(Redis.StreamNames.Events, EventTypes.QuestionCreated, JsonSerializer.Serialize(e, Json));

    public static OutboxMessage AnswerCreated(AnswerCreated e) => new(Redis.StreamNames.Events, EventTypes.AnswerCreated, JsonSerializer.Serialize(e, Json));

    private const string InsertSql = """
        insert into outbox (stream, type, data, traceparent)
        select s, t, d, @Traceparent from unnest(@Streams, @Types, @Data::json[]) as u (s, t, d)
        """;

    /// <summary>
    /// Writes the rows inside the caller's transaction: they commit, or vanish, with the change they announce. Each
    /// carries the current trace, for the consumers to continue.
    /// </summary>
    public static Task AddAsync(NpgsqlTransaction transaction, IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            InsertSql,
            new
            {
                Streams = messages.Select(m => m.Stream).ToArray(),
                Types = messages.Select(m => m.Type).ToArray(),
                Data = messages.Select(m => m.Data).ToArray(),
                Traceparent = TraceContext.Current(),
            },
            transaction,
            cancellationToken: cancellationToken));
}
