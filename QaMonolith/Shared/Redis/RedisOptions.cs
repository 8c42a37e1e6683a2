using System.ComponentModel.DataAnnotations;

namespace QaMonolith.Shared.Redis;

internal sealed class RedisOptions
{
    public const string Section = "Redis";

    /// <summary>Prepended to every stream, key and channel, so deployments and test runs can share one Redis.</summary>
    public string KeyPrefix { get; set; } = "";

    [Range(1_000, int.MaxValue)]
    public int EventsMaxLength { get; set; } = 100_000;

    [Range(1_000, int.MaxValue)]
    public int QuestionsMaxLength { get; set; } = 100_000;

    /// <summary>
    /// About how many answer.delta entries <c>qa:live</c> keeps (approximate MAXLEN). Readers only ever read what is new,
    /// so this is just enough to absorb a reader's pause.
    /// </summary>
    [Range(100, int.MaxValue)]
    public int LiveMaxLength { get; set; } = 1_000;
}
