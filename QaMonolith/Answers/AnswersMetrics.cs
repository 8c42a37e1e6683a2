using System.ClientModel;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using QaMonolith.Shared.Redis;
using QaMonolith.Shared.Telemetry;
using StackExchange.Redis;

namespace QaMonolith.Answers;

/// <summary>
/// The Answers module's instruments: answers the model wrote, model calls (latency, failures), dead letters, and
/// the consumer group's backlog read from XINFO GROUPS by the gauge poller (never on a scrape).
/// </summary>
internal sealed class AnswersMetrics : IPolledGauge
{
    public const string Name = "QaMonolith.Answers";

    /// <summary>The worker continues each question's trace from its entry's traceparent.</summary>
    public static readonly ActivitySource Source = new(Name);

    private static readonly KeyValuePair<string, object?> GroupTag = new("group", QuestionStream.Group);

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisKeys _keys;
    private readonly KeyValuePair<string, object?> _provider;
    // By model: the server may name a model other than the one configured. Observable, so exported from 0 on.
    private readonly ConcurrentDictionary<string, StrongBox<long>> _generated = new(StringComparer.Ordinal);
    private readonly Histogram<double> _modelDuration;
    private readonly Counter<long> _modelFailures;
    private long _deadLettered;
    private readonly Reading<long> _lag = new(GroupTag);
    private readonly Reading<long> _pending = new(GroupTag);
    private readonly Reading<long> _consumers = new(GroupTag);
    private readonly Reading<long> _dead = new();

    public AnswersMetrics(IMeterFactory meters, IConnectionMultiplexer redis, RedisKeys keys, IOptions<LlmOptions> llm)
    {
        _redis = redis;
        _keys = keys;
        _provider = new("provider", llm.Value.Provider.ToString());
        var meter = meters.Create(Name);
        meter.CreateObservableCounter("qa.answers.generated", ObserveGenerated, "{answer}", "Answers the model (or Offline) wrote and saved, by provider and model");
        _modelDuration = meter.CreateHistogram("qa.model.call.duration", "s", "One call to the language model, each retry on its own, by provider and outcome",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120] });
        _modelFailures = meter.CreateCounter<long>("qa.model.call.failures", "{call}", "Model calls that failed (each retry counts), by provider and error type");
        meter.CreateObservableCounter("qa.questions.dead_lettered", () => Volatile.Read(ref _deadLettered), "{entry}",
            "Entries this process moved to qa:questions:dead after their last delivery failed");
        var options = llm.Value;
        _generated[options.Provider == LlmProvider.Offline ? OfflineAnswerWriter.Model : string.IsNullOrWhiteSpace(options.Model) ? options.Provider.ToString() : options.Model] = new();
        meter.CreateObservableGauge("qa.questions.lag", _lag.Observe, "{entry}", "Entries of qa:questions the consumer group has not read yet (XINFO GROUPS lag)");
        meter.CreateObservableGauge("qa.questions.pending", _pending.Observe, "{entry}", "Entries delivered to a consumer of the group and not acked yet");
        meter.CreateObservableGauge("qa.questions.consumers", _consumers.Observe, "{consumer}", "Consumers the group knows, including ones that left recently");
        meter.CreateObservableGauge("qa.questions.dead", _dead.Observe, "{entry}", "Entries in qa:questions:dead, waiting for people");
    }

    public void Generated(string model) => Interlocked.Increment(ref _generated.GetOrAdd(model, _ => new()).Value);

    public void ModelCalled(long startedTimestamp, Exception? error)
    {
        var seconds = Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds;
        _modelDuration.Record(seconds, _provider, new("outcome", error is null ? "success" : "failure"));
        if (error is not null)
        {
            _modelFailures.Add(1, _provider, new("error_type", ErrorType(error)));
        }
    }

    public void DeadLettered() => Interlocked.Increment(ref _deadLettered);

    private IEnumerable<Measurement<long>> ObserveGenerated() =>
        _generated.Select(e => new Measurement<long>(Volatile.Read(ref e.Value.Value), _provider, new("model", e.Key)));

    /// <summary>A short, bounded label: the HTTP status the server answered, or what kind of failure it was.</summary>
    private static string ErrorType(Exception error) => error switch
    {
        ClientResultException { Status: > 0 } http => "http_" + http.Status.ToString(CultureInfo.InvariantCulture),
        ClientResultException or HttpRequestException => "unreachable",
        // The llm-api client's own failures: a 5xx, 408 or 429 is transient, a reply it cannot read is not.
        ModelCallException { Transient: true } => "transient",
        ModelCallException => "rejected",
        OperationCanceledException => "timeout",
        _ => error.GetType().Name,
    };

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var db = _redis.GetDatabase();
        var dead = db.StreamLengthAsync(_keys.QuestionsDead);
        StreamGroupInfo[] groups;
        try
        {
            groups = await db.StreamGroupInfoAsync(_keys.Questions);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("no such key", StringComparison.OrdinalIgnoreCase))
        {
            // No worker has created the stream yet (or Redis lost it): there is no group to measure.
            groups = [];
        }

        _dead.Set(await dead);
        var group = groups.FirstOrDefault(g => g.Name == QuestionStream.Group);
        if (group.Name is null)
        {
            _lag.Clear();
            _pending.Clear();
            _consumers.Clear();
            return;
        }

        // Redis reports no lag when it cannot tell (entries deleted inside the unread range); then none is shown.
        if (group.Lag is { } lag)
        {
            _lag.Set(lag);
        }
        else
        {
            _lag.Clear();
        }

        _pending.Set(group.PendingMessageCount);
        _consumers.Set(group.ConsumerCount);
    }

    public void MarkUnknown()
    {
        _lag.Clear();
        _pending.Clear();
        _consumers.Clear();
        _dead.Clear();
    }
}
