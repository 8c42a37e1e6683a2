using System.Net.WebSockets;
using System.Threading.Channels;

namespace QaMonolith.Live;

/// <summary>
/// One socket's side of the fan-out: its topics, its bounded send queue and its single sender. The reader only
/// ever calls <see cref="TryEnqueue"/>, which never waits, so a slow socket cannot slow the reader or the others.
/// Every close goes through the sender too: a WebSocket allows one send at a time, and a close frame is a send.
/// </summary>
internal sealed class LiveConnection : IDisposable
{
    private readonly WebSocket _socket;
    private readonly LiveOptions _options;
    private readonly LiveMetrics _metrics;
    private readonly Channel<LiveEvent> _queue;
    // Cancelling a WebSocket send or receive aborts the socket; that is the point: it fires only when a close
    // did not complete in time or the peer is gone.
    private readonly CancellationTokenSource _abort = new();
    private CloseRequest? _close;

    public LiveConnection(WebSocket socket, LiveOptions options, LiveMetrics metrics)
    {
        _socket = socket;
        _options = options;
        _metrics = metrics;
        _queue = Channel.CreateBounded<LiveEvent>(new BoundedChannelOptions(options.SendQueueSize)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    private sealed record CloseRequest(WebSocketCloseStatus Status, string Reason);

    /// <summary>The topics this socket is subscribed to. Guarded by the registry's lock, not by this class.</summary>
    public HashSet<string> Topics { get; } = new(StringComparer.Ordinal);

    /// <summary>Cancelled when the socket is being torn down; every send and receive on it uses this token.</summary>
    public CancellationToken Aborted => _abort.Token;

    public bool IsClosing => Volatile.Read(ref _close) is not null;

    /// <summary>Queues an event without waiting; false when the queue is full (the caller closes the socket).</summary>
    public bool TryEnqueue(LiveEvent e) => _queue.Writer.TryWrite(e) || IsClosing;

    /// <summary>
    /// Queues an ephemeral event only while the queue is less than half full, and never closes the socket for one:
    /// a socket that falls behind loses deltas (the saved answer follows), and the room left is for durable events.
    /// </summary>
    public bool TryEnqueueEphemeral(LiveEvent e) => _queue.Reader.Count < (_options.SendQueueSize + 1) / 2 && _queue.Writer.TryWrite(e);

    /// <summary>
    /// Asks the sender to close with <paramref name="status"/> after the frame it is sending now; later events are
    /// dropped (the client resumes with <c>after</c>). If the close does not complete within the close timeout
    /// (a peer that does not read), the socket is aborted. The first request wins.
    /// </summary>
    public void RequestClose(WebSocketCloseStatus status, string reason)
    {
        if (Interlocked.CompareExchange(ref _close, new CloseRequest(status, reason), null) is not null)
        {
            return;
        }

        _queue.Writer.TryComplete();
        try
        {
            _abort.CancelAfter(_options.CloseTimeout);
        }
        catch (ObjectDisposedException)
        {
            // Already torn down; nothing left to close.
        }
    }

    /// <summary>Tears the socket down at once: the peer is gone or broke the protocol beyond a close.</summary>
    public void Abort()
    {
        RequestClose(WebSocketCloseStatus.EndpointUnavailable, "aborted");
        _abort.Cancel();
    }

    /// <summary>Sends one frame. Only before <see cref="RunSenderAsync"/> starts, which is then the only writer.</summary>
    public ValueTask SendFrameAsync(ReadOnlyMemory<byte> frame) =>
        _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, _abort.Token);

    /// <summary>Sends an event, counted as delivered; the same rule as <see cref="SendFrameAsync"/>.</summary>
    public async Task SendEventAsync(LiveEvent e)
    {
        await SendFrameAsync(e.Frame);
        _metrics.Delivered();
    }

    /// <summary>
    /// Drains the queue to the socket until a close is requested, then sends the close frame. Events at or
    /// before <paramref name="sent"/> were already sent (a resume replayed them) and are skipped, so the switch
    /// from replay to live has neither gap nor duplicate.
    /// </summary>
    public async Task RunSenderAsync(StreamId sent)
    {
        try
        {
            await foreach (var e in _queue.Reader.ReadAllAsync(_abort.Token))
            {
                if (IsClosing)
                {
                    break;
                }

                if (!e.Durable)
                {
                    await SendEventAsync(e);
                    continue;
                }

                if (e.Id <= sent)
                {
                    continue;
                }

                await SendEventAsync(e);
                sent = e.Id;
            }

            var close = Volatile.Read(ref _close);
            if (close is not null && _socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(close.Status, close.Reason, _abort.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The peer went away or the close timed out; the socket is aborted and the receive loop ends too.
            _abort.Cancel();
        }
    }

    public void Dispose() => _abort.Dispose();
}
