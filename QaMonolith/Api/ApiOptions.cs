using System.ComponentModel.DataAnnotations;

namespace QaMonolith.Api;

internal sealed class ApiOptions
{
    public const string Section = "Api";

    /// <summary>Longest question or answer, in UTF-16 code units after trimming (what a browser's maxlength counts).</summary>
    [Range(1, 100_000)]
    public int MaxTextLength { get; set; } = 4000;

    /// <summary>Largest request body read; well above MaxTextLength even when every character is a JSON escape.</summary>
    [Range(1_024, 10_000_000)]
    public int MaxBodyBytes { get; set; } = 64 * 1024;

    /// <summary>A safety net under precise invalidation, for a process that missed a message while Redis reconnected.</summary>
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many questions and answers the first-page cache holds in all.</summary>
    [Range(0, 10_000_000)]
    public int CacheItems { get; set; } = 200_000;
}

internal sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    public TimeSpan QuestionInterval { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan AnswerInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Posts per client IP per minute, 0 = off. Turn it off behind a proxy whose forwarded address is not trusted.</summary>
    [Range(0, 1_000_000)]
    public int PerIpPerMinute { get; set; } = 60;
}
