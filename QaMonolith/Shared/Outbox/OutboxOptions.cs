using System.ComponentModel.DataAnnotations;

namespace QaMonolith.Shared.Outbox;

internal sealed class OutboxOptions
{
    public const string Section = "Outbox";

    /// <summary>How often the relay looks for rows nobody nudged it about (Redis was down, another process crashed).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 200;

    /// <summary>Published rows are kept this long for inspection, then deleted.</summary>
    public TimeSpan RetainPublished { get; set; } = TimeSpan.FromDays(1);
}
