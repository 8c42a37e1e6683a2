using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using QaMonolith.Shared.Contracts;
using QaMonolith.Shared.Redis;
using StackExchange.Redis;

namespace QaMonolith.Api;

/// <summary>
/// The read models worth caching (the course list, the pages of each list, each reader's own upvotes), dropped
/// precisely by the writes that change them: the writer drops its own copy before answering, and tells every other
/// process over the <see cref="CacheScopes.Channel"/> channel. A process that cannot hear that channel (Redis down)
/// bypasses the cache, and forgets it when the connection returns, because it may have missed a message.
/// </summary>
/// <remarks>
/// Entries live under a scope (a list, a reader) and a key within it (the page). A drop stamps the scope with the
/// next tick of a clock; an entry is served only if its load began at or after the scope's last drop, so a load
/// that raced a write can never store what the write changed, and every page of a scope goes with one drop. Drop
/// stamps older than the time to live are forgotten: every entry loaded before them has expired by then.
/// </remarks>
internal sealed class PageCache : IHostedService, IDisposable
{
    private sealed record Entry(object Value, long Tick);

    private sealed record Flight(long Tick, Task<object?> Value);

    private readonly MemoryCache _cache;
    private readonly ConcurrentDictionary<string, (long Tick, long At)> _drops = new();
    private readonly ConcurrentDictionary<string, Flight> _flights = new();
    private readonly IConnectionMultiplexer _redis;
    private readonly RedisChannel _channel;
    private readonly TimeSpan _ttl;
    private readonly TimeProvider _time;
    private readonly ILogger<PageCache> _logger;
    private long _clock;
    private long _floor;
    private long _nextPrune;

    public PageCache(IConnectionMultiplexer redis, RedisKeys keys, IOptions<ApiOptions> options, TimeProvider time, ILogger<PageCache> logger)
    {
        _redis = redis;
        _logger = logger;
        _time = time;
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

    /// <inheritdoc cref="GetOrLoadAsync{T}(string, string, Func{CancellationToken, Task{T}}, Func{T, int}, CancellationToken)"/>
    public ValueTask<T?> GetOrLoadAsync<T>(string scope, Func<CancellationToken, Task<T?>> load, Func<T, int> sizeOf, CancellationToken cancellationToken)
        where T : class => GetOrLoadAsync(scope, "", load, sizeOf, cancellationToken);

    /// <summary>
    /// The cached value of <paramref name="key"/> in <paramref name="scope"/>, or what <paramref name="load"/>
    /// returns. A null load (the list's parent does not exist) is returned but never stored, so made-up ids cannot
    /// fill the cache.
    /// </summary>
    public async ValueTask<T?> GetOrLoadAsync<T>(string scope, string key, Func<CancellationToken, Task<T?>> load, Func<T, int> sizeOf, CancellationToken cancellationToken)
        where T : class
    {
        if (!_redis.IsConnected)
        {
            return await load(cancellationToken);
        }

        var cacheKey = key.Length == 0 ? scope : string.Concat(scope, "\u001f", key);
        if (_cache.TryGetValue(cacheKey, out Entry? cached) && cached is not null && IsCurrent(scope, cached.Tick))
        {
            return (T)cached.Value;
        }

        // One load per key at a time: the readers that miss together (a hot list right after a write) share it,
        // unless a drop came after it began. It runs to the end even if its first reader goes away.
        if (_flights.TryGetValue(cacheKey, out var flight) && IsCurrent(scope, flight.Tick))
        {
            return (T?)await flight.Value.WaitAsync(cancellationToken);
        }

        var tick = Volatile.Read(ref _clock);
        var mine = new Flight(tick, LoadAsync(scope, cacheKey, tick, load, sizeOf));
        _flights[cacheKey] = mine;
        // The flight ends with its load, not with its first reader, who may give up while others still wait.
        _ = mine.Value.ContinueWith(_ => _flights.TryRemove(new KeyValuePair<string, Flight>(cacheKey, mine)), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return (T?)await mine.Value.WaitAsync(cancellationToken);
    }

    private async Task<object?> LoadAsync<T>(string scope, string cacheKey, long tick, Func<CancellationToken, Task<T?>> load, Func<T, int> sizeOf)
        where T : class
    {
        var started = _time.GetUtcNow();
        var value = await load(CancellationToken.None);
        if (value is not null && IsCurrent(scope, tick) && _redis.IsConnected)
        {
            // Expiry counts from the load's start: what the prune of old drop stamps relies on.
            _cache.Set(cacheKey, new Entry(value, tick), new MemoryCacheEntryOptions { Size = Math.Max(1, sizeOf(value)), AbsoluteExpiration = started + _ttl });
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

    private bool IsCurrent(string scope, long tick) =>
        tick >= Volatile.Read(ref _floor) && (!_drops.TryGetValue(scope, out var drop) || tick >= drop.Tick);

    private void Drop(string scope)
    {
        var now = _time.GetUtcNow().UtcTicks;
        _drops[scope] = (Interlocked.Increment(ref _clock), now);
        _cache.Remove(scope);
        if (now >= Volatile.Read(ref _nextPrune))
        {
            Prune(now);
        }
    }

    /// <summary>Forgets drop stamps older than the time to live; every entry they could still veto has expired.</summary>
    private void Prune(long now)
    {
        Volatile.Write(ref _nextPrune, now + _ttl.Ticks);
        var horizon = now - _ttl.Ticks - TimeSpan.TicksPerSecond;
        foreach (var (scope, drop) in _drops)
        {
            if (drop.At < horizon)
            {
                _drops.TryRemove(new KeyValuePair<string, (long, long)>(scope, drop));
            }
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        Volatile.Write(ref _floor, Interlocked.Increment(ref _clock));
        _cache.Clear();
    }

    public void Dispose()
    {
        _redis.ConnectionRestored -= OnConnectionRestored;
        _cache.Dispose();
    }
}
