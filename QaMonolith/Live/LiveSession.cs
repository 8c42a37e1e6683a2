using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.Options;
using QaMonolith.Shared.Redis;
using StackExchange.Redis;

namespace QaMonolith.Live;

/// <summary>
/// One accepted socket from hello to close: reads the query, registers the socket, greets it (hello, then a
/// reset or the replay of what it missed), then runs its sender and reads its messages until it closes.
/// </summary>
internal sealed class LiveSession(
    LiveHub hub,
    LiveMetrics metrics,
    IConnectionMultiplexer redis,
    RedisKeys keys,
    IOptions<LiveOptions> options,
    ILogger<LiveSession> logger)
{
    private static readonly byte[] ResetFrame = """{"type":"reset"}"""u8.ToArray();
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>What the query asks for: first topics (in the order given, without repeats) and a resume token.</summary>
    internal sealed record Query(IReadOnlyList<string> Topics, StreamId? After);

    public static Query? ParseQuery(IQueryCollection query, int maxTopics, out string error)
    {
        error = "";
        var topics = new List<string>();
        foreach (var value in query["topics"])
        {
            foreach (var topic in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Topics.IsValid(topic))
                {
                    error = ClientMessage.UnknownTopic(topic);
                    return null;
                }

                if (!topics.Contains(topic, StringComparer.Ordinal))
                {
                    topics.Add(topic);
                }
            }
        }

        if (topics.Count > maxTopics)
        {
            error = $"at most {maxTopics} topics a socket";
            return null;
        }

        var after = query["after"];
        if (after.Count > 1 || (after.Count == 1 && !string.IsNullOrEmpty(after[0]) && !StreamId.TryParse(after[0], out _)))
        {
            error = "after must be one eventId the server sent (ms-seq)";
            return null;
        }

        return new Query(topics, string.IsNullOrEmpty(after.ToString()) ? null : StreamId.Parse(after[0]));
    }

    public async Task RunAsync(WebSocket socket, IQueryCollection rawQuery)
    {
        var settings = options.Value;
        using var connection = new LiveConnection(socket, settings, metrics);
        var sent = StreamId.Zero;
        var query = ParseQuery(rawQuery, settings.MaxTopics, out var error);
        if (query is null)
        {
            connection.RequestClose(CloseCodes.PolicyViolation, error);
        }
        else if (hub.Add(connection, query.Topics) is not { } position)
        {
            connection.RequestClose(CloseCodes.GoingAway, "server shutting down");
        }
        else
        {
            sent = await GreetAsync(connection, query, position);
        }

        var sender = connection.RunSenderAsync(sent);
        try
        {
            await ReceiveAsync(connection, socket, settings);
        }
        finally
        {
            // Normally already requested (our close, or the peer's echoed); this only makes sure the sender ends.
            connection.RequestClose(WebSocketCloseStatus.NormalClosure, "");
            await sender;
            hub.Remove(connection);
        }
    }

    /// <summary>
    /// Sends hello and, for a resume, the reset or the missed events up to <paramref name="position"/>; events
    /// after it are already queued live. Returns the id of the last event sent, which the sender skips up to.
    /// </summary>
    private async Task<StreamId> GreetAsync(LiveConnection connection, Query query, StreamId position)
    {
        try
        {
            await connection.SendFrameAsync(JsonSerializer.SerializeToUtf8Bytes(
                new { type = "hello", lastEventId = position.ToString(), topics = query.Topics }, Json));
            if (query.After is not { } after)
            {
                return StreamId.Zero;
            }

            var db = redis.GetDatabase();
            if (!StreamHistory.CanResume(await StreamHistory.InfoAsync(db, keys.Events), after))
            {
                await connection.SendFrameAsync(ResetFrame);
                return StreamId.Zero;
            }

            var wanted = query.Topics.ToHashSet(StringComparer.Ordinal);
            await StreamHistory.ReplayAsync(db, keys.Events, after, position, options.Value.ReadBatchSize, wanted.Contains,
                connection.SendEventAsync, logger);
            // A client ahead of this instance's reader (it resumed from another instance) skips what it has.
            return after;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            logger.LogWarning(ex, "Cannot replay {Stream} for a resuming socket; asking it to retry", keys.Events);
            connection.RequestClose(CloseCodes.TryAgainLater, "event history unavailable; reconnect with the same after");
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            connection.Abort();
        }

        return StreamId.Zero;
    }

    private async Task ReceiveAsync(LiveConnection connection, WebSocket socket, LiveOptions settings)
    {
        // A small buffer for the read that waits (most messages fit); longer messages are gathered up to the limit.
        var chunk = new byte[256];
        ArrayBufferWriter<byte>? message = null;
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(chunk.AsMemory(), connection.Aborted);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    // Echo the peer's code, as RFC 6455 suggests; a close without one is answered as normal.
                    var status = socket.CloseStatus is { } s && s != WebSocketCloseStatus.Empty ? s : WebSocketCloseStatus.NormalClosure;
                    connection.RequestClose(status, "");
                    return;
                }

                if (connection.IsClosing)
                {
                    // Waiting for the peer to answer our close; whatever else it sends is dropped.
                    continue;
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    connection.RequestClose(CloseCodes.UnsupportedData, "binary frames are not part of the protocol");
                    continue;
                }

                if ((message?.WrittenCount ?? 0) + result.Count > settings.MaxMessageBytes)
                {
                    connection.RequestClose(CloseCodes.MessageTooBig, $"messages are at most {settings.MaxMessageBytes} bytes");
                    message = null;
                    continue;
                }

                if (result.EndOfMessage && message is null)
                {
                    Handle(connection, chunk.AsSpan(0, result.Count), settings);
                    continue;
                }

                message ??= new ArrayBufferWriter<byte>(settings.MaxMessageBytes);
                message.Write(chunk.AsSpan(0, result.Count));
                if (result.EndOfMessage)
                {
                    Handle(connection, message.WrittenSpan, settings);
                    message = null;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The peer vanished, stopped answering pings, or did not answer our close in time.
            connection.Abort();
        }
    }

    private void Handle(LiveConnection connection, ReadOnlySpan<byte> utf8, LiveOptions settings)
    {
        var message = ClientMessage.Parse(utf8, out var error);
        if (message is null)
        {
            connection.RequestClose(CloseCodes.PolicyViolation, error);
        }
        else if (!message.Subscribe)
        {
            hub.Unsubscribe(connection, message.Topics);
        }
        else if (!hub.Subscribe(connection, message.Topics, settings.MaxTopics))
        {
            connection.RequestClose(CloseCodes.PolicyViolation, $"at most {settings.MaxTopics} topics a socket");
        }
    }
}
