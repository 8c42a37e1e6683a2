using System.ClientModel;
using System.Text;
using Microsoft.Extensions.AI;
using Polly;

namespace QaMonolith.Answers;

/// <summary>
/// Answers through any <see cref="IChatClient"/>: one request per answer, so servers without <c>n</c> work, each
/// through the resilience pipeline (time-out, retries with jitter, circuit breaker). With <paramref name="deltas"/>
/// the answer is streamed and the text so far published as it grows; <paramref name="maxCalls"/> bounds the calls
/// running at once (the in-process model, whose every call holds a context in memory); waiting for a turn does not
/// count against an attempt's time-out.
/// </summary>
internal sealed class ChatAnswerWriter(
    IChatClient chat, ResiliencePipeline pipeline, LlmOptions options, AnswerDeltas? deltas = null, int? maxCalls = null) : IAnswerWriter
{
    private readonly ChatOptions _chatOptions = new()
    {
        ModelId = options.Model,
        Temperature = options.Temperature,
        MaxOutputTokens = options.MaxTokens,
    };

    private readonly string _model = string.IsNullOrWhiteSpace(options.Model) ? options.Provider.ToString() : options.Model;

    private readonly SemaphoreSlim? _turns = maxCalls is { } max ? new SemaphoreSlim(max, max) : null;

    public string Description => options.Provider == LlmProvider.Local
        ? $"Local model file {options.ModelPath}, at most {maxCalls} answers generated at once"
        : $"{options.Provider} at {options.Endpoint}, model {_model}";

    public Task<AnswerPlan> PlanAsync(QuestionToAnswer question, CancellationToken cancellationToken) =>
        Task.FromResult(new AnswerPlan(options.AnswersPerQuestion, (slot, ct) => WriteAsync(question, slot, ct)));

    public static IReadOnlyList<ChatMessage> Prompt(QuestionToAnswer question) =>
    [
        new(ChatRole.System,
            $"You are a teaching assistant for the university course \"{question.CourseName}\". "
            + "Answer the student's question helpfully and concisely, in plain text, in a few sentences or short paragraphs."),
        new(ChatRole.User, question.Text),
    ];

    private async Task<Draft> WriteAsync(QuestionToAnswer question, int slot, CancellationToken cancellationToken)
    {
        if (_turns is null)
        {
            return await WriteNowAsync(question, slot, cancellationToken);
        }

        await _turns.WaitAsync(cancellationToken);
        try
        {
            return await WriteNowAsync(question, slot, cancellationToken);
        }
        finally
        {
            _turns.Release();
        }
    }

    private async Task<Draft> WriteNowAsync(QuestionToAnswer question, int slot, CancellationToken cancellationToken)
    {
        var messages = Prompt(question);
        var live = deltas?.For(question, slot);
        return await pipeline.ExecuteAsync(async ct =>
        {
            string written;
            string? modelId;
            try
            {
                (written, modelId) = live is null ? await AskAsync(messages, ct) : await StreamAsync(messages, live, ct);
            }
            catch (ClientResultException ex)
            {
                throw ModelCallException.From(ex);
            }

            var text = AnswerText.Clean(written, options.MaxAnswerLength);
            if (text.Length == 0)
            {
                throw new EmptyModelOutputException();
            }

            live?.Final(text);
            return new Draft(text, string.IsNullOrWhiteSpace(modelId) ? _model : modelId);
        }, cancellationToken);
    }

    private async Task<(string Text, string? ModelId)> AskAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken)
    {
        var response = await chat.GetResponseAsync(messages, _chatOptions, cancellationToken);
        return (response.Text, response.ModelId);
    }

    private async Task<(string Text, string? ModelId)> StreamAsync(IReadOnlyList<ChatMessage> messages, SlotDeltas live, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        string? modelId = null;
        await foreach (var update in chat.GetStreamingResponseAsync(messages, _chatOptions, cancellationToken))
        {
            modelId ??= update.ModelId;
            if (update.Text is { Length: > 0 } piece)
            {
                text.Append(piece);
                live.Progress(text);
            }
        }

        return (text.ToString(), modelId);
    }
}
