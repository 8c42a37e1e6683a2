using System.Net;
using System.Net.WebSockets;

namespace QaMonolith.Tests.Live;

public sealed class LiveBadInputTests : LiveFixture
{
    [TestCase("topics=course:abc")]
    [TestCase("topics=forum:1")]
    [TestCase("topics=course:0")]
    [TestCase("topics=course:01")]
    [TestCase("topics=course:-1")]
    [TestCase("topics=course:99999999999999999999")]
    [TestCase("topics=course")]
    [TestCase("after=yesterday")]
    [TestCase("after=12")]
    [TestCase("topics=course:1&after=1-2&after=1-3")]
    public async Task BadQuery_ClosesWith1008(string query)
    {
        await using var client = await ConnectAsync(query, read: false);

        Assert.That(await client.ClosedAsync(), Is.EqualTo(WebSocketCloseStatus.PolicyViolation), client.CloseDescription);
        Assert.That(client.CloseDescription, Is.Not.Empty, "the reason says what was wrong");
    }

    [Test]
    public async Task MoreThan50TopicsInTheQuery_ClosesWith1008()
    {
        var topics = string.Join(',', Enumerable.Range(1, 51).Select(i => $"course:{i}"));
        await using var client = await ConnectAsync($"topics={topics}", read: false);

        Assert.That(await client.ClosedAsync(), Is.EqualTo(WebSocketCloseStatus.PolicyViolation));
        Assert.That(client.CloseDescription, Does.Contain("50"));
    }

    [Test]
    public async Task Exactly50Topics_AreAccepted()
    {
        var topics = string.Join(',', Enumerable.Range(1, 50).Select(i => $"question:{i}"));
        await using var client = await ConnectAsync($"topics={topics}");

        Assert.That(client.Hello.GetProperty("topics").GetArrayLength(), Is.EqualTo(50));
    }

    [TestCase("not json")]
    [TestCase("[]")]
    [TestCase("""{"topics":["course:1"]}""")]
    [TestCase("""{"type":"hello","topics":["course:1"]}""")]
    [TestCase("""{"type":"subscribe"}""")]
    [TestCase("""{"type":"subscribe","topics":"course:1"}""")]
    [TestCase("""{"type":"subscribe","topics":[1]}""")]
    [TestCase("""{"type":"subscribe","topics":["course:x"]}""")]
    [TestCase("""{"type":"unsubscribe","topics":["lecture:3"]}""")]
    public async Task MessageThatIsNotTheProtocol_ClosesWith1008(string message)
    {
        await using var client = await ConnectAsync("topics=course:1");

        await client.SendTextAsync(message);

        Assert.That(await client.ClosedAsync(), Is.EqualTo(WebSocketCloseStatus.PolicyViolation), client.CloseDescription);
    }

    [Test]
    public async Task SubscribingBeyond50Topics_ClosesWith1008()
    {
        await using var client = await ConnectAsync("topics=" + string.Join(',', Enumerable.Range(1, 40).Select(i => $"course:{i}")));

        await client.SendTextAsync($"{{\"type\":\"subscribe\",\"topics\":[{string.Join(',', Enumerable.Range(1, 11).Select(i => $"\"question:{i}\""))}]}}");

        Assert.That(await client.ClosedAsync(), Is.EqualTo(WebSocketCloseStatus.PolicyViolation));
    }

    [Test]
    public async Task MessageOver4KiB_ClosesWith1009()
    {
        await using var client = await ConnectAsync("topics=course:1");

        await client.SendTextAsync(SubscribeMessage(4097));

        Assert.That(await client.ClosedAsync(), Is.EqualTo(WebSocketCloseStatus.MessageTooBig));
    }

    [Test]
    public async Task MessageOfExactly4KiB_IsAccepted()
    {
        var course = NewId();
        await using var client = await ConnectAsync();

        await client.SendTextAsync(SubscribeMessage(4096, course));
        await BarrierAsync(client);
        var id = await Stream.QuestionCreatedAsync(course, 1);

        Assert.That((await client.NextAsync()).GetProperty("eventId").GetString(), Is.EqualTo(id));
    }

    [Test]
    public async Task MessageOver4KiBInFragments_ClosesWith1009()
    {
        await using var client = await ConnectAsync("topics=course:1");
        var part = new byte[1024];
        Array.Fill(part, (byte)' ');

        for (var i = 0; i < 5; i++)
        {
            await client.Socket.SendAsync(part, WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None);
        }

        Assert.That(await client.ClosedAsync(), Is.EqualTo(WebSocketCloseStatus.MessageTooBig));
    }

    [Test]
    public async Task BinaryFrame_ClosesWith1003()
    {
        await using var client = await ConnectAsync("topics=course:1");

        await client.SendBinaryAsync([1, 2, 3]);

        Assert.That(await client.ClosedAsync(), Is.EqualTo(WebSocketCloseStatus.InvalidMessageType));
    }

    [Test]
    public async Task CrossOriginUpgrade_Is403()
    {
        Assert.That(await LiveClient.RefusedStatusAsync(App.Address, "topics=course:1", origin: "http://evil.example"), Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await LiveClient.RefusedStatusAsync(App.Address, "topics=course:1", origin: "null"), Is.EqualTo(HttpStatusCode.Forbidden));
        // Same host, other port: another origin.
        Assert.That(await LiveClient.RefusedStatusAsync(App.Address, "topics=course:1", origin: $"http://127.0.0.1:{App.Address.Port + 1}"), Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task SameOriginUpgrade_IsAccepted()
    {
        await using var client = await ConnectAsync("topics=course:1", origin: App.Address.GetLeftPart(UriPartial.Authority));

        Assert.That(client.Socket.State, Is.EqualTo(WebSocketState.Open));
    }

    [Test]
    public async Task PlainGetOfWs_Is400Problem()
    {
        using var response = await Api.GetAsync("/ws");

        await Infrastructure.Problem.AssertAsync(response, HttpStatusCode.BadRequest);
    }

    [Test]
    public async Task ClientClose_IsAnswered()
    {
        await using var client = await ConnectAsync("topics=course:1");

        await client.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", new CancellationTokenSource(LiveClient.Soon).Token);

        Assert.That(client.Socket.State, Is.EqualTo(WebSocketState.Closed));
        Assert.That(client.Socket.CloseStatus, Is.EqualTo(WebSocketCloseStatus.NormalClosure));
    }

    /// <summary>A valid subscribe message padded with white space to exactly <paramref name="bytes"/> bytes.</summary>
    private static string SubscribeMessage(int bytes, long? course = null)
    {
        var core = $$"""{"type":"subscribe","topics":["course:{{course ?? 1}}"]""";
        return core + new string(' ', bytes - core.Length - 1) + "}";
    }
}
