using System.Net;
using Microsoft.Extensions.Options;
using QaMonolith.Shared.Redis;
using StackExchange.Redis;

namespace QaMonolith.Api;

internal enum PostKind
{
    Question,
    Answer,
}

/// <summary>A granted slot, given back with <see cref="RateLimiter.ReleaseAsync"/> when the post is not saved.</summary>
internal sealed record RateLimitLease(string UserKey, string IpKey, string Token, bool CountedIp);

internal abstract record RateLimitDecision
{
    public sealed record Granted(RateLimitLease Lease) : RateLimitDecision;

    public sealed record Rejected(TimeSpan RetryAfter, string Reason) : RateLimitDecision;
}

/// <summary>
/// One question and one answer per user per interval, and a ceiling of posts per client IP per minute, checked and
/// taken in one Redis script so 50 parallel posts get exactly one slot. While Redis is unreachable the same rules
/// run in this process's memory: weaker across processes, but a POST still succeeds and is still limited.
/// </summary>
internal sealed class RateLimiter(IConnectionMultiplexer redis, RedisKeys keys, IOptions<RateLimitOptions> options, TimeProvider time, ILogger<RateLimiter> logger)
{
    private static readonly TimeSpan IpWindow = TimeSpan.FromMinutes(1);

    // KEYS: user slot, ip counter. ARGV: interval ms, token, ip limit (0 = off), ip window ms.
    // Returns {1, 0} when granted, {0, retry-after ms, 'user'|'ip'} when not.
    private static readonly LuaScript AcquireScript = LuaScript.Prepare("""
        local ttl = redis.call('PTTL', @userKey)
        if ttl > 0 then return {0, ttl, 'user'} end
        local limit = tonumber(@ipLimit)
        if limit > 0 then
          local used = tonumber(redis.call('GET', @ipKey) or '0')
          if used >= limit then
            local ipTtl = redis.call('PTTL', @ipKey)
            if ipTtl < 0 then ipTtl = tonumber(@ipWindowMs) end
            return {0, ipTtl, 'ip'}
          end
        end
        redis.call('SET', @userKey, @token, 'PX', @intervalMs)
        if limit > 0 then
          if redis.call('INCR', @ipKey) == 1 then redis.call('PEXPIRE', @ipKey, @ipWindowMs) end
        end
        return {1, 0}
        """);

    // Gives back a slot, and its share of the IP budget, only if it is still ours (it may have expired and been
    // taken by a later post); the in-memory fallback follows the same rule.
    private static readonly LuaScript ReleaseScript = LuaScript.Prepare("""
        if redis.call('GET', @userKey) ~= @token then return 0 end
        redis.call('DEL', @userKey)
        if @countedIp == '1' then
          if redis.call('DECR', @ipKey) <= 0 then redis.call('DEL', @ipKey) end
        end
        return 1
        """);

    private readonly LocalLimiter _local = new(time);

    public async Task<RateLimitDecision> AcquireAsync(PostKind kind, Guid user, IPAddress? ip)
    {
        var settings = options.Value;
        var interval = kind == PostKind.Question ? settings.QuestionInterval : settings.AnswerInterval;
        var ipLimit = ip is null ? 0 : settings.PerIpPerMinute;
        var userKey = keys.Key($"qa:ratelimit:{(kind == PostKind.Question ? "question" : "answer")}:{user:N}").ToString();
        var ipKey = keys.Key($"qa:ratelimit:ip:{ip}").ToString();
        var token = Guid.NewGuid().ToString("N");
        try
        {
            var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(AcquireScript, new
            {
                userKey = (RedisKey)userKey,
                ipKey = (RedisKey)ipKey,
                token,
                intervalMs = (long)interval.TotalMilliseconds,
                ipLimit,
                ipWindowMs = (long)IpWindow.TotalMilliseconds,
            }))!;
            var lease = new RateLimitLease(userKey, ipKey, token, ipLimit > 0);
            return (int)result[0] == 1
                ? new RateLimitDecision.Granted(lease)
                : Rejected(TimeSpan.FromMilliseconds((long)result[1]), (string)result[2]!, kind, interval);
        }
        catch (RedisException ex)
        {
            logger.LogWarning("Rate limit checked in process memory: Redis unavailable ({Message})", ex.Message);
            return _local.TryAcquire(userKey, ipKey, token, interval, ipLimit, IpWindow) is { } retryAfter
                ? Rejected(retryAfter.Wait, retryAfter.Reason, kind, interval)
                : new RateLimitDecision.Granted(new RateLimitLease(userKey, ipKey, token, ipLimit > 0));
        }
    }

    public async Task ReleaseAsync(RateLimitLease lease)
    {
        _local.Release(lease);
        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, new
            {
                userKey = (RedisKey)lease.UserKey,
                ipKey = (RedisKey)lease.IpKey,
                token = lease.Token,
                countedIp = lease.CountedIp ? "1" : "0",
            });
        }
        catch (RedisException ex)
        {
            logger.LogWarning("Could not give back a rate-limit slot: {Message}", ex.Message);
        }
    }

    private static RateLimitDecision.Rejected Rejected(TimeSpan wait, string reason, PostKind kind, TimeSpan interval) => new(
        wait,
        reason == "ip"
            ? "Too many posts from your network in the last minute."
            : $"You can post one {(kind == PostKind.Question ? "question" : "answer")} every {interval.TotalSeconds:0} s.");

    /// <summary>The same rules in memory, for while Redis is away.</summary>
    private sealed class LocalLimiter(TimeProvider time)
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, (DateTimeOffset Until, string Token)> _slots = [];
        private readonly Dictionary<string, (DateTimeOffset Until, int Used)> _ips = [];

        public (TimeSpan Wait, string Reason)? TryAcquire(string userKey, string ipKey, string token, TimeSpan interval, int ipLimit, TimeSpan ipWindow)
        {
            var now = time.GetUtcNow();
            lock (_lock)
            {
                if (_slots.Count > 10_000)
                {
                    Prune(now);
                }

                if (_slots.TryGetValue(userKey, out var slot) && slot.Until > now)
                {
                    return (slot.Until - now, "user");
                }

                var ip = _ips.TryGetValue(ipKey, out var found) && found.Until > now ? found : (Until: now + ipWindow, Used: 0);
                if (ipLimit > 0 && ip.Used >= ipLimit)
                {
                    return (ip.Until - now, "ip");
                }

                _slots[userKey] = (now + interval, token);
                if (ipLimit > 0)
                {
                    _ips[ipKey] = (ip.Until, ip.Used + 1);
                }

                return null;
            }
        }

        public void Release(RateLimitLease lease)
        {
            lock (_lock)
            {
                if (_slots.TryGetValue(lease.UserKey, out var slot) && slot.Token == lease.Token)
                {
                    _slots.Remove(lease.UserKey);
                    if (lease.CountedIp && _ips.TryGetValue(lease.IpKey, out var ip))
                    {
                        _ips[lease.IpKey] = (ip.Until, Math.Max(0, ip.Used - 1));
                    }
                }
            }
        }

        private void Prune(DateTimeOffset now)
        {
            foreach (var key in _slots.Where(s => s.Value.Until <= now).Select(s => s.Key).ToList())
            {
                _slots.Remove(key);
            }

            foreach (var key in _ips.Where(s => s.Value.Until <= now).Select(s => s.Key).ToList())
            {
                _ips.Remove(key);
            }
        }
    }
}
