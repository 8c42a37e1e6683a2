using System.Diagnostics;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Live;

public sealed class LiveKeepAliveTests : LiveFixture
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(300);

    protected override Dictionary<string, string?> Settings => new(base.Settings)
    {
        ["Live:KeepAliveInterval"] = Interval.ToString(),
        ["Live:KeepAliveTimeout"] = Timeout.ToString(),
    };

    [Test]
    public async Task IdleSocketThatAnswersPings_StaysOpenAcrossManyIntervals()
    {
        var course = NewId();
        await using var client = await ConnectAsync($"topics=course:{course}");

        // 15 ping intervals without a single message either way; only the protocol's ping/pong.
        await client.AssertQuietAsync(Interval * 15);

        Assert.That(client.Socket.State, Is.EqualTo(WebSocketState.Open));
        var id = await Stream.QuestionCreatedAsync(course, 1);
        Assert.That((await client.NextAsync()).GetProperty("eventId").GetString(), Is.EqualTo(id));
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task PeerThatStopsAnsweringPings_IsDroppedWithinIntervalPlusTimeout()
    {
        var before = (await MetricsAsync()).GetProperty("connections").GetInt64();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(App.Address.Host, App.Address.Port);
        var stream = tcp.GetStream();
        var key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"GET /ws?topics=course:1 HTTP/1.1\r\nHost: {App.Address.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"));
        var response = await ReadHeadAsync(stream);
        var upgraded = Stopwatch.StartNew();
        Assert.That(response, Does.StartWith("HTTP/1.1 101"));
        Assert.That((await MetricsAsync()).GetProperty("connections").GetInt64(), Is.EqualTo(before + 1));

        // From here the peer reads nothing and answers nothing, like a laptop that went to sleep.
        await Eventually.TrueAsync(async () => (await MetricsAsync()).GetProperty("connections").GetInt64() == before,
            TimeSpan.FromSeconds(10), "the server to drop the silent peer");
        var dropped = upgraded.Elapsed;

        Assert.That(dropped, Is.LessThan(Interval + Timeout + TimeSpan.FromSeconds(1)));
        Assert.That(dropped, Is.GreaterThanOrEqualTo(Timeout), "not before a ping went unanswered");
        // What it was sent before the server gave up: hello (a text frame), then protocol pings (opcode 0x9).
        var frames = await ReadToEndAsync(stream);
        Assert.That(frames[0] & 0x0F, Is.EqualTo(0x1), "hello first");
        Assert.That(Opcodes(frames), Does.Contain(0x9), "a protocol ping, not an application message");
    }

    private static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            Assert.That(await stream.ReadAsync(one), Is.EqualTo(1), "the server closed during the handshake");
            head.Add(one[0]);
        }

        return Encoding.ASCII.GetString([.. head]);
    }

    private static async Task<byte[]> ReadToEndAsync(NetworkStream stream)
    {
        using var all = new MemoryStream();
        try
        {
            await stream.CopyToAsync(all);
        }
        catch (IOException)
        {
            // An abort may end in a reset rather than a FIN; what arrived before it is what counts.
        }

        return all.ToArray();
    }

    /// <summary>The opcodes of the unmasked server frames in <paramref name="data"/>.</summary>
    private static List<int> Opcodes(byte[] data)
    {
        var opcodes = new List<int>();
        for (var i = 0; i + 2 <= data.Length;)
        {
            opcodes.Add(data[i] & 0x0F);
            var length = (long)(data[i + 1] & 0x7F);
            var header = 2;
            if (length == 126)
            {
                length = (data[i + 2] << 8) | data[i + 3];
                header = 4;
            }
            else if (length == 127)
            {
                length = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(i + 2));
                header = 10;
            }

            i += header + (int)length;
        }

        return opcodes;
    }
}
