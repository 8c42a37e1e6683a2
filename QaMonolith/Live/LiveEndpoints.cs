using System.Net.WebSockets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace QaMonolith.Live;

internal static class LiveEndpoints
{
    public static void MapLive(this IEndpointRouteBuilder app)
    {
        // Map, not MapGet: an HTTP/2 WebSocket arrives as CONNECT.
        app.Map("/ws", ConnectAsync).ExcludeFromDescription();
        app.MapGet("/live/metrics", Metrics).ExcludeFromDescription();
    }

    public static async Task<Results<EmptyHttpResult, ProblemHttpResult>> ConnectAsync(
        HttpContext context, LiveHub hub, LiveSession session, IOptions<LiveOptions> options)
    {
        var settings = options.Value;
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return TypedResults.Problem("/ws speaks the WebSocket protocol; connect with a WebSocket client (see the README).",
                statusCode: StatusCodes.Status400BadRequest, title: "WebSocket upgrade expected");
        }

        if (!IsOriginAllowed(context.Request, settings.AllowedOrigins))
        {
            return TypedResults.Problem($"Origin {context.Request.Headers.Origin} may not open live sockets here; it must be listed in Live:AllowedOrigins.",
                statusCode: StatusCodes.Status403Forbidden, title: "Origin not allowed");
        }

        if (hub.Position is null)
        {
            try
            {
                await hub.Started.WaitAsync(settings.ReaderWait, context.RequestAborted);
            }
            catch (TimeoutException)
            {
                context.Response.Headers.RetryAfter = "5";
                return TypedResults.Problem("Live has not reached the event stream yet (is Redis reachable?); try again shortly.",
                    statusCode: StatusCodes.Status503ServiceUnavailable, title: "Live not ready");
            }
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = settings.KeepAliveInterval,
            KeepAliveTimeout = settings.KeepAliveTimeout,
        });
        await session.RunAsync(socket, context.Request.Query);
        return TypedResults.Empty;
    }

    /// <summary>
    /// A browser always sends Origin; it must be listed, or (with no list) name this very host. Without Origin
    /// the caller is not a browser page, so no other site can be riding on a user's cookies or network position.
    /// The default compares host and port only: behind a TLS-terminating proxy the request's own scheme is http
    /// while the page's origin is https.
    /// </summary>
    public static bool IsOriginAllowed(HttpRequest request, string[] allowed)
    {
        var origin = request.Headers.Origin;
        if (origin.Count == 0)
        {
            return true;
        }

        var value = origin.ToString();
        if (allowed.Length > 0)
        {
            return origin.Count == 1 && allowed.Any(a => string.Equals(a.TrimEnd('/'), value, StringComparison.OrdinalIgnoreCase));
        }

        return origin.Count == 1
            && Uri.TryCreate(value, UriKind.Absolute, out var uri)
            && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }

    public static Ok<LiveMetrics.Snapshot> Metrics(LiveMetrics metrics, LiveHub hub, EventReader reader) =>
        TypedResults.Ok(metrics.Read(hub.Position?.ToString(), reader.IsConnected));
}
