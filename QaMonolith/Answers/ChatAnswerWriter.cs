using System.ClientModel;
using Microsoft.Extensions.AI;
using Polly;

namespace QaMonolith.Answers;

/// <summary>
/// Answers through any <see cref="IChatClient"/>: one request per answer, so servers without <c>n</c> work, each
/// through the resilience pipeline (time-out, retries with jitter, circuit breaker).
/// </summary>
internal sealed class ChatAnswerWriter(IChatClient chat, ResiliencePipeline pipeline, LlmOptions options) : IAnswerWriter
{
    private readonly ChatOptions _chatOptions = new()
    {
        ModelId = options.Model,
        Temperature = options.Temperature,
        MaxOutputTokens = options.MaxTokens,
    };

    private readonly string _model = string.IsNullOrWhiteSpace(options.Model) ? options.Provider.ToString() : options.Model;

    public string Description => $"{options.Provider} at {options.Endpoint}, model {_model}";

    public Task<AnswerPlan> PlanAsync(QuestionToAnswer question, CancellationToken cancellationToken) =>
        Task.FromResult(new AnswerPlan(options.AnswersPerQuestion, (_, ct) => WriteAsync(question, ct)));

    public static IReadOnlyList<ChatMessage> Prompt(QuestionToAnswer question) =>
    [
        new(ChatRole.System,
            $"You are a teaching assistant for the university course \"{question.CourseName}\". "
            + "Answer the student's question helpfully and concisely, in plain text, in a few sentences or short paragraphs."),
        new(ChatRole.User, question.Text),
    ];

    private async Task<Draft> WriteAsync(QuestionToAnswer question, CancellationToken cancellationToken)
    {
        var messages = Prompt(question);
        return await pipeline.ExecuteAsync(async ct =>
        {
            ChatResponse response;
            try
            {
                response = await chat.GetResponseAsync(messages, _chatOptions, ct);
            }
            catch (ClientResultException ex)
            {
                throw ModelCallException.From(ex);
            }

            var text = AnswerText.Clean(response.Text, options.MaxAnswerLength);
            if (text.Length == 0)
            {
                throw new EmptyModelOutputException();
            }

            return new Draft(text, string.IsNullOrWhiteSpace(response.ModelId) ? _model : response.ModelId);
        }, cancellationToken);
    }
}
