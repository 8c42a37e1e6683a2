using System.Net.WebSockets;

namespace QaMonolith.Live;

/// <summary>The close codes of the protocol, named as RFC 6455 and the IANA registry name them.</summary>
internal static class CloseCodes
{
    /// <summary>1001: the server is shutting down.</summary>
    public const WebSocketCloseStatus GoingAway = WebSocketCloseStatus.EndpointUnavailable;

    /// <summary>1003: a binary frame; the protocol is JSON text only.</summary>
    public const WebSocketCloseStatus UnsupportedData = WebSocketCloseStatus.InvalidMessageType;

    /// <summary>1008: a message or query that is not the protocol (shape, topics, resume token).</summary>
    public const WebSocketCloseStatus PolicyViolation = WebSocketCloseStatus.PolicyViolation;

    /// <summary>1009: a message over <see cref="LiveOptions.MaxMessageBytes"/>.</summary>
    public const WebSocketCloseStatus MessageTooBig = WebSocketCloseStatus.MessageTooBig;

    /// <summary>1013 "Try Again Later" (not in the enum): the send queue overflowed, or history is unreachable.</summary>
    public const WebSocketCloseStatus TryAgainLater = (WebSocketCloseStatus)1013;
}
