using System.Diagnostics.Metrics;

namespace QaMonolith.Api;

/// <summary>What users post. Counted after the commit, so a rejected or failed post is not counted.</summary>
internal sealed class ApiMetrics
{
    public const string MeterName = "QaMonolith.Api";

    private readonly Counter<long> _questions;
    private readonly Counter<long> _answers;

    public ApiMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _questions = meter.CreateCounter<long>("qa.questions.asked", "{question}", "Questions users asked");
        _answers = meter.CreateCounter<long>("qa.answers.posted", "{answer}", "Answers users posted (model answers are qa.answers.generated)");
    }

    // No tags: a tagless counter is one interlocked add, nothing allocated.
    public void Posted(PostKind kind) => (kind == PostKind.Question ? _questions : _answers).Add(1);
}
