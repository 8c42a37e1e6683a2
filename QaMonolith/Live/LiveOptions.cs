using System.ComponentModel.DataAnnotations;

namespace QaMonolith.Live;

internal sealed class LiveOptions
{
    public const string Section = "Live";

    /// <summary>How often the server pings a socket (a protocol ping frame; never an application message).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long a ping may go unanswered before the peer is taken for dead and the socket aborted.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Events a socket may have waiting to be sent; one more closes it with 1013 and the client resumes.</summary>
    [Range(1, 1_000_000)]
    public int SendQueueSize { get; set; } = 256;

    [Range(1, 10_000)]
    public int MaxTopics { get; set; } = 50;

    /// <summary>Largest client message in bytes; a bigger one closes the socket with 1009.</summary>
    [Range(64, 1_048_576)]
    public int MaxMessageBytes { get; set; } = 4096;

    /// <summary>
    /// Origins (<c>scheme://host[:port]</c>) a browser may connect from. Empty: only the request's own host.
    /// A request without an Origin header (curl, a server) is always allowed.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>How long a socket being closed may take to flush and answer the close before it is aborted.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:05:00")]
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one XREAD blocks on the reader's own connection before it asks again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan ReadBlock { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Entries per XREAD and per XRANGE page of a resume.</summary>
    [Range(1, 100_000)]
    public int ReadBatchSize { get; set; } = 500;

    /// <summary>How long a new socket waits for the reader's first position (at start-up, or Redis down) before 1013.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ReaderWait { get; set; } = TimeSpan.FromSeconds(5);
}
