using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Microsoft.Playwright;

namespace QaMonolith.Tests.Web;

/// <summary>
/// Takes the place of /ws for one page, inside the browser: the test speaks the server's side of DESIGN.md's
/// protocol (hello, events with eventId, reset, closing) and sees every URL the page connects with. This tests the
/// page's live client on its own; the flows against the real Live module are in <see cref="LiveFlowTests"/>.
/// </summary>
internal sealed partial class ScriptedSocket
{
    private readonly Channel<IWebSocketRoute> _connections = Channel.CreateUnbounded<IWebSocketRoute>();

    /// <summary>The URL of every connection the page opened, in order.</summary>
    public ConcurrentQueue<Uri> Urls { get; } = new();

    public static async Task<ScriptedSocket> RouteAsync(IPage page)
    {
        var socket = new ScriptedSocket();
        await page.RouteWebSocketAsync(WsPath(), ws =>
        {
            socket.Urls.Enqueue(new Uri(ws.Url));
            socket._connections.Writer.TryWrite(ws);
        });
        return socket;
    }

    /// <summary>Waits for the page's next connection (the first, or a reconnect).</summary>
    public async Task<IWebSocketRoute> NextConnectionAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            return await _connections.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new AssertionException("the page did not connect to /ws within 10 s");
        }
    }

    public static void Hello(IWebSocketRoute ws, string lastEventId, params string[] topics) =>
        ws.Send(JsonSerializer.Serialize(new { type = "hello", lastEventId, topics }));

    public static void Reset(IWebSocketRoute ws) => ws.Send("""{"type":"reset"}""");

    public static void QuestionCreated(IWebSocketRoute ws, string eventId, JsonElement question) =>
        ws.Send(JsonSerializer.Serialize(new
        {
            type = "question.created",
            eventId,
            courseId = question.GetProperty("courseId").GetInt64(),
            question,
        }));

    public static void AnswerCreated(IWebSocketRoute ws, string eventId, long courseId, JsonElement answer) =>
        ws.Send(JsonSerializer.Serialize(new
        {
            type = "answer.created",
            eventId,
            courseId,
            questionId = answer.GetProperty("questionId").GetInt64(),
            answer,
        }));

    /// <summary>The page's socket URL, whatever its query.</summary>
    [GeneratedRegex(@"/ws(\?|$)")]
    public static partial Regex WsPath();
}
