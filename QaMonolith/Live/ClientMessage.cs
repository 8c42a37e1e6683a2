using System.Text.Json;

namespace QaMonolith.Live;

/// <summary>
/// What a client may send: <c>{"type":"subscribe"|"unsubscribe","topics":[...]}</c>. Anything else is not the
/// protocol (the caller closes with 1008). Unknown extra properties are ignored, so a newer client that adds a
/// field still talks to this server.
/// </summary>
internal sealed record ClientMessage(bool Subscribe, IReadOnlyList<string> Topics)
{
    public static ClientMessage? Parse(ReadOnlySpan<byte> utf8, out string error)
    {
        error = "";
        try
        {
            using var document = JsonDocument.Parse(utf8.ToArray());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                error = "expected {\"type\":\"subscribe\"|\"unsubscribe\",\"topics\":[...]}";
                return null;
            }

            var subscribe = type.ValueEquals("subscribe");
            if (!subscribe && !type.ValueEquals("unsubscribe"))
            {
                error = "type must be subscribe or unsubscribe";
                return null;
            }

            if (!root.TryGetProperty("topics", out var topics) || topics.ValueKind != JsonValueKind.Array)
            {
                error = "topics must be an array of topic strings";
                return null;
            }

            var list = new List<string>(topics.GetArrayLength());
            foreach (var topic in topics.EnumerateArray())
            {
                var text = topic.ValueKind == JsonValueKind.String ? topic.GetString() : null;
                if (!Live.Topics.IsValid(text))
                {
                    error = UnknownTopic(topic.ToString());
                    return null;
                }

                list.Add(text!);
            }

            return new ClientMessage(subscribe, list);
        }
        catch (JsonException)
        {
            error = "messages are JSON text";
            return null;
        }
    }

    /// <summary>The close reason for a topic of an unknown shape; close reasons are at most 123 bytes.</summary>
    public static string UnknownTopic(string topic) =>
        $"unknown topic '{(topic.Length > 40 ? topic[..40] + "..." : topic)}'; use course:{{id}} or question:{{id}}";
}
