using System.Buffers;
using System.Text.Json;
using QaMonolith.Shared.Contracts;

namespace QaMonolith.Live;

/// <summary>
/// One <c>qa:events</c> entry ready for the wire: the topic it belongs to and its frame, serialized once and
/// shared by every socket that gets it.
/// </summary>
/// <summary>A model answer's place: question and slot, as answer.delta and answer.created name it.</summary>
internal readonly record struct AnswerSlot(long QuestionId, int Slot);

internal sealed class LiveEvent(StreamId id, string topic, ReadOnlyMemory<byte> frame, bool durable = true, AnswerSlot? slot = null)
{
    /// <summary>The model answer slot an answer.delta writes or an answer.created saves; null for anything else.</summary>
    public AnswerSlot? Slot { get; } = slot;

    /// <summary>The entry's id in <c>qa:events</c>; for an ephemeral event its id in <c>qa:live</c>, which orders nothing.</summary>
    public StreamId Id { get; } = id;

    /// <summary>
    /// False for answer.delta: not part of the resumable history, so it carries no eventId, is never replayed, and
    /// neither counts as sent for a resume nor is skipped by one.
    /// </summary>
    public bool Durable { get; } = durable;

    public string Topic { get; } = topic;

    /// <summary><c>{"type":...,"eventId":...,...payload}</c> as UTF-8 JSON.</summary>
    public ReadOnlyMemory<byte> Frame { get; } = frame;

    /// <summary>
    /// The event of an entry, or null for a type Live does not forward (other types may share the stream later).
    /// Throws <see cref="JsonException"/> for a payload that is not the contract's shape.
    /// </summary>
    public static LiveEvent? FromEntry(StreamId id, string? type, string? data)
    {
        if (data is null)
        {
            return null;
        }

        using var payload = JsonDocument.Parse(data);
        var root = payload.RootElement;
        var topic = type switch
        {
            EventTypes.QuestionCreated => Topics.Course(root.GetProperty("courseId").GetInt64()),
            EventTypes.AnswerCreated or EventTypes.AnswerDelta => Topics.Question(root.GetProperty("questionId").GetInt64()),
            _ => null,
        };
        if (topic is null)
        {
            return null;
        }

        var durable = type != EventTypes.AnswerDelta;
        var buffer = new ArrayBufferWriter<byte>(data.Length + 64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            if (durable)
            {
                writer.WriteString("eventId", id.ToString());
            }

            foreach (var property in root.EnumerateObject())
            {
                // The envelope's own fields win; a payload cannot smuggle in a different type or id.
                if (property.NameEquals("type") || property.NameEquals("eventId"))
                {
                    continue;
                }

                property.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        AnswerSlot? slot = type is EventTypes.AnswerCreated or EventTypes.AnswerDelta && root.TryGetProperty("slot", out var s) && s.TryGetInt32(out var n)
            ? new AnswerSlot(root.GetProperty("questionId").GetInt64(), n)
            : null;
        return new LiveEvent(id, topic, buffer.WrittenMemory, durable, slot);
    }
}
