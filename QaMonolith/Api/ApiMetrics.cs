using System.Diagnostics.Metrics;

namespace QaMonolith.Api;

/// <summary>
/// What users post, counted after the commit, so a rejected or failed post is not counted. Plain interlocked fields
/// read by observable counters: the POST path pays one interlocked add, and the counters are exported from 0 on
/// (a counter a provider enables later would lose the first post to Prometheus's increase()).
/// </summary>
internal sealed class ApiMetrics
{
    public const string MeterName = "QaMonolith.Api";

    private long _questions;
    private long _answers;

    public ApiMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableCounter("qa.questions.asked", () => Volatile.Read(ref _questions), "{question}", "Questions users asked");
        meter.CreateObservableCounter("qa.answers.posted", () => Volatile.Read(ref _answers), "{answer}", "Answers users posted (model answers are qa.answers.generated)");
    }

    public void Posted(PostKind kind) => Interlocked.Increment(ref kind == PostKind.Question ? ref _questions : ref _answers);
}
