using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using QaMonolith.Shared.Contracts;
using QaMonolith.Shared.Redis;
using StackExchange.Redis;

namespace QaMonolith.Api;

/// <summary>
/// The read models worth caching (the course list, each list's first page), dropped precisely by the writes that
/// change them: the writer drops its own copy before answering, and tells every other process over the
/// <see cref="CacheScopes.Channel"/> channel. A process that cannot hear that channel (Redis down) bypasses the
/// cache, and clears it when the connection returns, because it may have missed a message.
/// </summary>
internal sealed class PageCache : IHostedService, IDisposable
{
    private readonly MemoryCache _cache;
    private readonly ConcurrentDictionary<string, long> _generations = new();
    private readonly IConnectionMultiplexer _redis;
    private readonly RedisChannel _channel;
    private readonly TimeSpan _ttl;
    private readonly ILogger<PageCache> _logger;

    public PageCache(IConnectionMultiplexer redis, RedisKeys keys, IOptions<ApiOptions> options, ILogger<PageCache> logger)
    {
        _redis = redis;
        _logger = logger;
        _ttl = options.Value.CacheTtl;
        _channel = keys.Channel(CacheScopes.Channel);
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = Math.Max(1, options.Value.CacheItems) });
        _redis.ConnectionRestored += OnConnectionRestored;
    }

    /// <summary>Subscribes to other processes' invalidations; StackExchange.Redis re-subscribes after a reconnect.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _redis.GetSubscriber().SubscribeAsync(_channel, (_, message) => Drop(message.ToString()));
        }
        catch (RedisException ex)
        {
            _logger.LogWarning(ex, "Cache invalidation channel not subscribed yet; the cache is bypassed until Redis is back");
        }
    }

    /// <summary>
    /// The cached value of <paramref name="scope"/>, or what <paramref name="load"/> returns. A null load (the list's
    /// parent does not exist) is returned but never stored, so made-up ids cannot fill the cache.
    /// </summary>
    public async ValueTask<T?> GetOrLoadAsync<T>(string scope, Func<CancellationToken, Task<T?>> load, Func<T, int> sizeOf, CancellationToken cancellationToken)
        where T : class
    {
        if (!_redis.IsConnected)
        {
            return await load(cancellationToken);
        }

        if (_cache.TryGetValue(scope, out T? cached) && cached is not null)
        {
            return cached;
        }

        // A write that lands while we load bumps the generation; storing our (older) result then would undo it.
        var generation = _generations.GetValueOrDefault(scope);
        var value = await load(cancellationToken);
        if (value is not null && _generations.GetValueOrDefault(scope) == generation && _redis.IsConnected)
        {
            _cache.Set(scope, value, new MemoryCacheEntryOptions { Size = Math.Max(1, sizeOf(value)), AbsoluteExpirationRelativeToNow = _ttl });
            // An invalidation between the check and the Set would otherwise be undone by it.
            if (_generations.GetValueOrDefault(scope) != generation)
            {
                _cache.Remove(scope);
            }
        }

        return value;
    }

    /// <summary>Drops the scopes here at once, then tells the other processes. Call after the commit.</summary>
    public async Task InvalidateAsync(params string[] scopes)
    {
        foreach (var scope in scopes)
        {
            Drop(scope);
        }

        try
        {
            var subscriber = _redis.GetSubscriber();
            await Task.WhenAll(scopes.Select(scope => subscriber.PublishAsync(_channel, scope)));
        }
        catch (RedisException ex)
        {
            // Other processes bypass their caches while Redis is unreachable, so nothing stale is served.
            _logger.LogDebug(ex, "Could not publish cache invalidation of {Scopes}", scopes);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Drop(string scope)
    {
        _generations.AddOrUpdate(scope, 1, (_, generation) => generation + 1);
        _cache.Remove(scope);
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        foreach (var scope in _generations.Keys)
        {
            Drop(scope);
        }

        _cache.Clear();
    }

    public void Dispose()
    {
        _redis.ConnectionRestored -= OnConnectionRestored;
        _cache.Dispose();
    }
}
