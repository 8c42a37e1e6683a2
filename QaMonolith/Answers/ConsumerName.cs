using Microsoft.Extensions.Options;
using QaMonolith.Shared.Redis;
using StackExchange.Redis;

namespace QaMonolith.Answers;

/// <summary>
/// This process's consumer name in the group: the machine (or pod) name plus the lowest instance number not held
/// by another live process on it, e.g. <c>web-1-0</c>. A restarted process gets its old name back, so it drains its
/// own pending entries at once, and the group's consumer list stays as long as the most processes ever run on one
/// machine at the same time. The number is a Redis lease renewed by the worker's heartbeat; a crashed process's
/// lease runs out after <see cref="Lease"/>.
/// </summary>
internal sealed class ConsumerName(IConnectionMultiplexer redis, RedisKeys keys, IOptions<AnswersOptions> options, ILogger<ConsumerName> logger)
{
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private const int MaxInstances = 1000;

    private static readonly LuaScript RenewScript = LuaScript.Prepare("""
        if redis.call('GET', @key) == @token then return redis.call('PEXPIRE', @key, @ms) end
        return redis.call('SET', @key, @token, 'NX', 'PX', @ms) and 1 or 0
        """);

    private static readonly LuaScript ReleaseScript = LuaScript.Prepare("""
        if redis.call('GET', @key) == @token then return redis.call('DEL', @key) end
        return 0
        """);

    private readonly string _token = Guid.NewGuid().ToString("N");
    private RedisKey? _lease;

    public string? Value { get; private set; }

    public async Task<string> AcquireAsync()
    {
        if (Value is not null)
        {
            return Value;
        }

        if (!string.IsNullOrWhiteSpace(options.Value.ConsumerName))
        {
            return Value = options.Value.ConsumerName;
        }

        var machine = Environment.MachineName.ToLowerInvariant();
        for (var instance = 0; instance < MaxInstances; instance++)
        {
            var name = $"{machine}-{instance}";
            var key = keys.Key($"qa:answers:consumer:{name}");
            if (await redis.GetDatabase().StringSetAsync(key, _token, Lease, When.NotExists))
            {
                _lease = key;
                return Value = name;
            }
        }

        throw new InvalidOperationException($"{MaxInstances} Answers workers already run on {machine}; set Answers:ConsumerName");
    }

    /// <summary>Keeps the lease; if it ran out (a long pause) and another process took the name, says so.</summary>
    public async Task RenewAsync()
    {
        if (_lease is not { } key)
        {
            return;
        }

        var renewed = (long)await redis.GetDatabase().ScriptEvaluateAsync(RenewScript, new { key, token = _token, ms = (long)Lease.TotalMilliseconds });
        if (renewed == 0)
        {
            logger.LogWarning("Consumer name {Consumer} is now leased by another process; two workers share it until one restarts", Value);
        }
    }

    public async Task ReleaseAsync()
    {
        if (_lease is { } key)
        {
            await redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, new { key, token = _token });
        }
    }
}
