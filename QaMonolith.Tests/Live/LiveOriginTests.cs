using System.Net;
using System.Net.WebSockets;

namespace QaMonolith.Tests.Live;

public sealed class LiveOriginTests : LiveFixture
{
    protected override Dictionary<string, string?> Settings => new(base.Settings)
    {
        ["Live:AllowedOrigins:0"] = "https://pages.example",
        ["Live:AllowedOrigins:1"] = "http://localhost:5173",
    };

    [Test]
    public async Task ListedOrigins_AreAccepted_AndOnlyThey()
    {
        await using (var listed = await ConnectAsync("topics=course:1", origin: "https://pages.example"))
        {
            Assert.That(listed.Socket.State, Is.EqualTo(WebSocketState.Open));
        }

        await using (var second = await ConnectAsync("topics=course:1", origin: "http://localhost:5173"))
        {
            Assert.That(second.Socket.State, Is.EqualTo(WebSocketState.Open));
        }

        Assert.That(await LiveClient.RefusedStatusAsync(App.Address, "", origin: "http://pages.example"), Is.EqualTo(HttpStatusCode.Forbidden), "scheme counts");
        Assert.That(await LiveClient.RefusedStatusAsync(App.Address, "", origin: App.Address.GetLeftPart(UriPartial.Authority)), Is.EqualTo(HttpStatusCode.Forbidden),
            "with a list, the own host is not implied");
    }

    [Test]
    public async Task NoOrigin_IsAccepted()
    {
        await using var client = await ConnectAsync("topics=course:1");

        Assert.That(client.Socket.State, Is.EqualTo(WebSocketState.Open));
    }
}
