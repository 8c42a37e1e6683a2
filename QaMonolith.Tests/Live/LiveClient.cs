using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace QaMonolith.Tests.Live;

/// <summary>
/// A browser's side of /ws as a test needs it: every message the server sends, in order, and how it closed.
/// Reads in the background like a page does (which also answers the server's pings), unless told not to.
/// </summary>
public sealed class LiveClient : IAsyncDisposable
{
    public static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);

    private readonly ClientWebSocket _socket;
    private readonly Channel<JsonElement> _messages = Channel.CreateUnbounded<JsonElement>();
    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _pump;

    private LiveClient(ClientWebSocket socket) => _socket = socket;

    public WebSocket Socket => _socket;

    /// <summary>The hello the server sent first (default until it has arrived).</summary>
    public JsonElement Hello { get; private set; }

    public string? CloseDescription { get; private set; }

    /// <summary>Opens /ws with the query (e.g. <c>topics=course:1</c>); waits for hello unless <paramref name="read"/> is false.</summary>
    public static async Task<LiveClient> ConnectAsync(Uri app, string query = "", bool read = true, string? origin = null)
    {
        var socket = new ClientWebSocket();
        // The test sees the server's pings answered (a pending receive does that), never pongs of its own.
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        var client = new LiveClient(socket);
        using var timeout = new CancellationTokenSource(Soon);
        await socket.ConnectAsync(Url(app, query), timeout.Token);
        if (read)
        {
            client.StartReading();
            client.Hello = await client.NextAsync();
            Assert.That(client.Hello.GetProperty("type").GetString(), Is.EqualTo("hello"), client.Hello.ToString());
        }

        return client;
    }

    /// <summary>The status code the server answered an upgrade with, when it refused it.</summary>
    public static async Task<HttpStatusCode> RefusedStatusAsync(Uri app, string query = "", string? origin = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        using var timeout = new CancellationTokenSource(Soon);
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(Url(app, query), timeout.Token));
        return socket.HttpStatusCode;
    }

    public static string[] EventIds(IEnumerable<JsonElement> events) => [.. events.Select(e => e.GetProperty("eventId").GetString()!)];

    public static Uri Url(Uri app, string query) =>
        new UriBuilder(app) { Scheme = "ws", Path = "/ws", Query = query }.Uri;

    /// <summary>Starts the background reader (for a client connected with <c>read: false</c>).</summary>
    public void StartReading() => _pump ??= PumpAsync();

    public async Task<JsonElement> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Soon);
        try
        {
            return await _messages.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"no message within {timeout ?? Soon} (socket {_socket.State}, close {_socket.CloseStatus} {CloseDescription})");
            throw;
        }
        catch (ChannelClosedException)
        {
            Assert.Fail($"the socket closed ({_socket.CloseStatus} {CloseDescription}) while a message was expected");
            throw;
        }
    }

    /// <summary>The next message, or null if none arrives within <paramref name="timeout"/>.</summary>
    public async Task<JsonElement?> TryNextAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _messages.Reader.ReadAsync(cts.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>The next <paramref name="count"/> messages, each of which must be an event (not hello or reset).</summary>
    public async Task<List<JsonElement>> EventsAsync(int count, TimeSpan? timeout = null)
    {
        var events = new List<JsonElement>(count);
        for (var i = 0; i < count; i++)
        {
            var message = await NextAsync(timeout);
            Assert.That(message.GetProperty("type").GetString(), Does.EndWith(".created"), message.ToString());
            events.Add(message);
        }

        return events;
    }

    /// <summary>Asserts that no message arrives within <paramref name="within"/>.</summary>
    public async Task AssertQuietAsync(TimeSpan within)
    {
        await Task.Delay(within);
        Assert.That(_messages.Reader.TryRead(out var message), Is.False, $"unexpected message: {message}");
    }

    public Task SendTextAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    public Task SendBinaryAsync(byte[] data) =>
        _socket.SendAsync(data, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);

    /// <summary>How the server closed the socket: its status, or null when the connection just broke.</summary>
    public async Task<WebSocketCloseStatus?> ClosedAsync(TimeSpan? timeout = null)
    {
        StartReading();
        return await _closed.Task.WaitAsync(timeout ?? Soon);
    }

    /// <summary>Drains messages until the socket closes; returns the events (not hello or reset) it got on the way.</summary>
    public async Task<List<JsonElement>> DrainUntilClosedAsync(TimeSpan? timeout = null)
    {
        await ClosedAsync(timeout);
        var events = new List<JsonElement>();
        while (_messages.Reader.TryRead(out var message))
        {
            events.Add(message);
        }

        return events;
    }

    private async Task PumpAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer.GetMemory(4096), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    CloseDescription = _socket.CloseStatusDescription;
                    _closed.TrySetResult(_socket.CloseStatus);
                    // Complete the handshake, as a browser does.
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    return;
                }

                buffer.Advance(result.Count);
                if (result.EndOfMessage)
                {
                    using var message = JsonDocument.Parse(buffer.WrittenMemory);
                    _messages.Writer.TryWrite(message.RootElement.Clone());
                    buffer.ResetWrittenCount();
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            _closed.TrySetResult(null);
        }
        finally
        {
            _messages.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        if (_pump is not null)
        {
            await _pump;
        }

        _socket.Dispose();
    }
}
