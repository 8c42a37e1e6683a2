using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace QaMonolith.Shared.Redis;

/// <summary>Every Redis name the modules share, with the deployment's prefix applied in one place.</summary>
internal sealed class RedisKeys(IOptions<RedisOptions> options)
{
    private readonly string _prefix = options.Value.KeyPrefix;

    public RedisKey Questions => Key(StreamNames.Questions);
    public RedisKey Events => Key(StreamNames.Events);
    public RedisKey QuestionsDead => Key(StreamNames.QuestionsDead);
    public RedisKey Live => Key(StreamNames.Live);

    public RedisKey Key(string name) => _prefix + name;

    public RedisChannel Channel(string name) => RedisChannel.Literal(_prefix + name);
}

internal static class StreamNames
{
    public const string Questions = "qa:questions";
    public const string Events = "qa:events";
    public const string QuestionsDead = "qa:questions:dead";

    /// <summary>Ephemeral answer.delta entries: trimmed short, never replayed.</summary>
    public const string Live = "qa:live";
}
