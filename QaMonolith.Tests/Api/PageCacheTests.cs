using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using QaMonolith.Api;
using QaMonolith.Shared.Redis;
using QaMonolith.Tests.Infrastructure;
using StackExchange.Redis;

namespace QaMonolith.Tests.Api;

/// <summary>The cache's own rules, with loads the test holds open: shared loads, and drops that beat a load in flight.</summary>
public sealed class PageCacheTests
{
    private ConnectionMultiplexer _redis = null!;
    private PageCache _cache = null!;
    private RedisKeys _keys = null!;
    private int _loads;

    [SetUp]
    public async Task StartAsync()
    {
        _redis = await ConnectionMultiplexer.ConnectAsync(Servers.Redis.ConnectionString);
        _keys = new RedisKeys(Options.Create(new RedisOptions { KeyPrefix = $"cache:{Guid.NewGuid():N}:" }));
        _cache = new PageCache(_redis, _keys, Options.Create(new ApiOptions()), TimeProvider.System, NullLogger<PageCache>.Instance);
        await _cache.StartAsync(CancellationToken.None);
        _loads = 0;
    }

    [TearDown]
    public async Task StopAsync()
    {
        _cache.Dispose();
        await _redis.DisposeAsync();
    }

    [Test]
    public async Task ReadersMissingTogether_ShareOneLoad()
    {
        var gate = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        var readers = Enumerable.Range(0, 20).Select(_ => _cache.GetOrLoadAsync("course:1", "", Held(gate), _ => 1, CancellationToken.None).AsTask()).ToList();
        gate.SetResult("page");

        Assert.That(await Task.WhenAll(readers), Has.All.EqualTo("page"));
        Assert.That(_loads, Is.EqualTo(1));
        Assert.That(await GetAsync("course:1", "fresh"), Is.EqualTo("page"), "the shared load was stored");
    }

    [Test]
    public async Task ADropDuringALoad_SendsTheNextReaderToANewLoad_AndTheOldResultIsNotKept()
    {
        var before = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = _cache.GetOrLoadAsync("course:1", "page2", Held(before), _ => 1, CancellationToken.None).AsTask();

        await InvalidateAndHearTheEchoAsync("course:1");
        // Bounded: joining the held older load would wait for ever.
        var second = await GetAsync("course:1", "after the write", "page2").WaitAsync(TimeSpan.FromSeconds(5));
        before.SetResult("before the write");

        Assert.That(await first, Is.EqualTo("before the write"), "a read that overlapped the write may see either");
        Assert.That(second, Is.EqualTo("after the write"), "a read that began after the write must not join the older load");
        Assert.That(await GetAsync("course:1", "unused", "page2"), Is.EqualTo("after the write"), "the pre-write result replaced the newer one");
        Assert.That(_loads, Is.EqualTo(2));
    }

    [Test]
    public async Task ADrop_RetiresEveryPageOfItsScope_AndNoOther()
    {
        await GetAsync("course:1", "first");
        await GetAsync("course:1", "deep", "page200");
        await GetAsync("course:2", "other");

        await _cache.InvalidateAsync("course:1");

        Assert.That(await GetAsync("course:1", "first again"), Is.EqualTo("first again"));
        Assert.That(await GetAsync("course:1", "deep again", "page200"), Is.EqualTo("deep again"));
        Assert.That(await GetAsync("course:2", "unused"), Is.EqualTo("other"));
    }

    [Test]
    public async Task AWaitingReaderThatGivesUp_DoesNotCancelTheLoadOthersShare()
    {
        var gate = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var gone = new CancellationTokenSource();
        var leaving = _cache.GetOrLoadAsync("course:1", "", Held(gate), _ => 1, gone.Token).AsTask();
        var staying = _cache.GetOrLoadAsync("course:1", "", Held(gate), _ => 1, CancellationToken.None).AsTask();

        await gone.CancelAsync();
        gate.SetResult("page");

        Assert.That(async () => await leaving, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(await staying, Is.EqualTo("page"));
        Assert.That(_loads, Is.EqualTo(1));
    }

    /// <summary>
    /// Drops the scope, then waits until the cache has also handled its own published copy of the drop (which
    /// drops it once more): a handler on the same multiplexer and channel, added after the cache's, runs after it.
    /// Otherwise that echo could land between a test's load and its next read.
    /// </summary>
    private async Task InvalidateAndHearTheEchoAsync(string scope)
    {
        var heard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var channel = _keys.Channel(QaMonolith.Shared.Contracts.CacheScopes.Channel);
        var subscriber = _redis.GetSubscriber();
        await subscriber.SubscribeAsync(channel, (_, message) =>
        {
            if (message == scope)
            {
                heard.TrySetResult();
            }
        });
        await _cache.InvalidateAsync(scope);
        await heard.Task.WaitAsync(TimeSpan.FromSeconds(5));
    }

    private Func<CancellationToken, Task<string?>> Held(TaskCompletionSource<string> gate) => async _ =>
    {
        Interlocked.Increment(ref _loads);
        return await gate.Task;
    };

    private async Task<string?> GetAsync(string scope, string value, string key = "") =>
        await _cache.GetOrLoadAsync(scope, key, _ =>
        {
            Interlocked.Increment(ref _loads);
            return Task.FromResult<string?>(value);
        }, _ => 1, CancellationToken.None);
}
