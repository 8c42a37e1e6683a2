using System.Diagnostics;
using System.Net.WebSockets;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Live;

public sealed class LiveShutdownTests
{
    [Test]
    [CancelAfter(60_000)]
    public async Task Shutdown_ClosesOpenSocketsWith1001_Promptly()
    {
        var app = await QaApp.StartAsync(new Dictionary<string, string?> { ["Modules:Answers"] = "false" }, kestrel: true);
        var clients = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => LiveClient.ConnectAsync(app.Address, $"topics=course:{i + 1}")));
        try
        {
            var stopping = Stopwatch.StartNew();
            await app.DisposeAsync();

            Assert.That(stopping.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "open sockets do not hold the host for its 30 s shutdown timeout");
            foreach (var client in clients)
            {
                Assert.That(await client.ClosedAsync(), Is.EqualTo(WebSocketCloseStatus.EndpointUnavailable), client.CloseDescription);
            }
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        }
    }
}
