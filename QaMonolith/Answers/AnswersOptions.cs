using System.ComponentModel.DataAnnotations;

namespace QaMonolith.Answers;

internal enum LlmProvider
{
    /// <summary>No model: answers quote earlier discussions of the course.</summary>
    Offline,

    /// <summary>Any OpenAI-compatible chat-completions server (Ollama, llama.cpp server, vLLM, OpenAI).</summary>
    OpenAI,

    /// <summary>The course's llm-api contract: <c>POST {"question"}</c> → <c>[{"generated_text"}]</c>.</summary>
    LlmApi,

    /// <summary>A GGUF model file at <c>Llm:ModelPath</c>, run in this process by LLamaSharp on the CPU.</summary>
    Local,
}

/// <summary>Which model writes the answers and how it is called.</summary>
internal sealed class LlmOptions : IValidatableObject
{
    public const string Section = "Llm";

    public LlmProvider Provider { get; set; } = LlmProvider.Offline;

    /// <summary>For OpenAI the base URL before <c>/chat/completions</c> (e.g. <c>http://localhost:11434/v1</c>); for LlmApi the URL to POST to.</summary>
    public Uri? Endpoint { get; set; }

    public string? Model { get; set; }

    public string? ApiKey { get; set; }

    /// <summary>For Local: the GGUF model file. Its weights are loaded once at start and shared by every answer.</summary>
    public string? ModelPath { get; set; }

    /// <summary>For Local: tokens of prompt and answer one generation may hold (its context's size).</summary>
    [Range(128, 131_072)]
    public int ContextSize { get; set; } = 2048;

    /// <summary>For Local: CPU threads one generation uses; by default llama.cpp's own choice (the cores there are).</summary>
    [Range(1, 256)]
    public int? Threads { get; set; }

    /// <summary>
    /// Streaming providers publish the text written so far at most this often per answer (answer.delta on
    /// <c>qa:live</c>); the first piece goes at once.
    /// </summary>
    public TimeSpan DeltaInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    [Range(0.0, 2.0)]
    public float? Temperature { get; set; }

    [Range(1, 100_000)]
    public int? MaxTokens { get; set; }

    [Range(1, 10)]
    public int AnswersPerQuestion { get; set; } = 3;

    /// <summary>
    /// Questions answered at once by one process; each asks for all its answers in parallel. For Local also the most
    /// answers generated at once (each holds a context in memory); the others wait their turn.
    /// </summary>
    [Range(1, 256)]
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>One attempt's time limit; a slower answer is a transient failure and is retried.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Retries of one answer after a transient failure (connection error, 5xx, 429, time-out, empty output).</summary>
    [Range(0, 20)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first retry's delay; later ones double, with jitter. A 429's Retry-After wins when it says more.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest Retry-After honoured; a server asking for more is retried after this.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the circuit stays open once most recent calls failed; calls fail fast meanwhile.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Longest answer saved, in characters; longer model output is cut at a word boundary. Keep it at most Api:MaxTextLength.</summary>
    [Range(100, 100_000)]
    public int MaxAnswerLength { get; set; } = 4000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Provider is LlmProvider.OpenAI or LlmProvider.LlmApi && Endpoint is null)
        {
            yield return new ValidationResult($"Llm:Endpoint is required for Llm:Provider={Provider}; set Llm__Endpoint (e.g. http://localhost:11434/v1 for Ollama)", [nameof(Endpoint)]);
        }

        if (Provider == LlmProvider.OpenAI && string.IsNullOrWhiteSpace(Model))
        {
            yield return new ValidationResult("Llm:Model is required for Llm:Provider=OpenAI; set Llm__Model (e.g. llama3.2)", [nameof(Model)]);
        }

        if (Provider == LlmProvider.Local && LocalModelFile.Check(ModelPath) is { } problem)
        {
            yield return new ValidationResult(problem, [nameof(ModelPath)]);
        }

        if (DeltaInterval < TimeSpan.FromMilliseconds(10))
        {
            yield return new ValidationResult("Llm:DeltaInterval must be at least 10 ms", [nameof(DeltaInterval)]);
        }

        if (Timeout <= TimeSpan.Zero || RetryDelay < TimeSpan.Zero || BreakDuration < TimeSpan.FromMilliseconds(500))
        {
            yield return new ValidationResult("Llm:Timeout must be positive, Llm:RetryDelay not negative and Llm:BreakDuration at least 0.5 s", [nameof(Timeout)]);
        }
    }
}

/// <summary>How the worker consumes <c>qa:questions</c>.</summary>
internal sealed class AnswersOptions : IValidatableObject
{
    public const string Section = "Answers";

    /// <summary>Deliveries of one entry before it moves to <c>qa:questions:dead</c>. A model outage does not count.</summary>
    [Range(1, 100)]
    public int MaxDeliveries { get; set; } = 5;

    /// <summary>An entry pending this long without its consumer's heartbeat is taken over by another one (or retried).</summary>
    public TimeSpan ClaimIdleTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the sweep looks for questions no stream entry will answer.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A question is swept only once it has waited this long, so the normal path always goes first.</summary>
    public TimeSpan SweepMinAge { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A consumer idle this long with nothing pending is removed from the group.</summary>
    public TimeSpan ConsumerExpiry { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>On shutdown, how long questions in progress may still finish; the rest stay pending for the next start.</summary>
    public TimeSpan ShutdownDrain { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Fixed consumer name; by default the machine name plus the lowest free instance number on it.</summary>
    public string? ConsumerName { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ClaimIdleTime < TimeSpan.FromMilliseconds(100) || SweepInterval < TimeSpan.FromMilliseconds(100))
        {
            yield return new ValidationResult("Answers:ClaimIdleTime and Answers:SweepInterval must be at least 100 ms", [nameof(ClaimIdleTime)]);
        }

        if (SweepMinAge < TimeSpan.Zero || ShutdownDrain < TimeSpan.Zero || ConsumerExpiry < ClaimIdleTime)
        {
            yield return new ValidationResult("Answers:SweepMinAge and Answers:ShutdownDrain must not be negative, and Answers:ConsumerExpiry not below ClaimIdleTime", [nameof(SweepMinAge)]);
        }
    }
}
