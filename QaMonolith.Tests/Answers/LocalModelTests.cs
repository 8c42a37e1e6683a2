using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using QaMonolith.Answers;

namespace QaMonolith.Tests.Answers;

/// <summary>
/// The Local provider's model itself, loaded from the test's own tiny GGUF files (one plain, one with a chat template),
/// each loaded once for the fixture: the prompt it builds, and the exact text the next-byte model writes after it.
/// </summary>
public sealed class LocalModelTests
{
    private static readonly QuestionToAnswer Question = new(41, 3, "Databases", "What does MVCC give a reader?");

    private string _dir = null!;
    private LocalModel _plain = null!;
    private LocalModel _templated = null!;

    [OneTimeSetUp]
    public void LoadModels()
    {
        _dir = Directory.CreateTempSubdirectory("qa-tiny-").FullName;
        _plain = LocalModel.Load(Options(TinyModel.Write(Path.Combine(_dir, "tiny.gguf"))), NullLogger.Instance);
        _templated = LocalModel.Load(Options(TinyModel.Write(Path.Combine(_dir, "tiny-chat.gguf"), TinyModel.Llama2Template)), NullLogger.Instance);
    }

    [OneTimeTearDown]
    public void Unload()
    {
        _plain.Dispose();
        _templated.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public void FileWithoutChatTemplate_GetsAPlainPrompt_NamingTheCourse_EndingWithTheStartOfAnAnswer()
    {
        var prompt = _plain.Prompt(ChatAnswerWriter.Prompt(Question));

        Assert.Multiple(() =>
        {
            Assert.That(_plain.UsesChatTemplate, Is.False);
            Assert.That(_plain.Name, Is.EqualTo("tiny"), "author.model defaults to the file's name");
            Assert.That(prompt, Does.StartWith("You are a teaching assistant for the university course \"Databases\"."));
            Assert.That(prompt, Does.EndWith("\n\nQuestion: What does MVCC give a reader?\nAnswer:"));
        });
    }

    [Test]
    public void FileWithAChatTemplate_PromptsThroughLlamaCppsTemplate()
    {
        var prompt = _templated.Prompt(ChatAnswerWriter.Prompt(Question));

        Assert.Multiple(() =>
        {
            Assert.That(_templated.UsesChatTemplate, Is.True);
            Assert.That(prompt, Does.StartWith("[INST] <<SYS>>\nYou are a teaching assistant for the university course \"Databases\"."));
            Assert.That(prompt, Does.EndWith("<</SYS>>\n\nWhat does MVCC give a reader? [/INST]"));
        });
    }

    [Test]
    public async Task PlainPrompt_TheModelWritesTheBytesAfterItsLastOne()
    {
        var response = await new LocalChatClient(_plain).GetResponseAsync(ChatAnswerWriter.Prompt(Question), Greedy(20));

        Assert.That(response.Text, Is.EqualTo(TinyModel.Continuation(':', 20)));
        Assert.That(response.ModelId, Is.EqualTo("tiny"));
    }

    [Test]
    public async Task TemplatedPrompt_TheModelWritesTheBytesAfterTheTemplatesEnd()
    {
        var response = await new LocalChatClient(_templated).GetResponseAsync(ChatAnswerWriter.Prompt(Question), Greedy(12));

        Assert.That(response.Text, Is.EqualTo(TinyModel.Continuation(']', 12)));
    }

    [Test]
    public async Task Streaming_ArrivesPieceByPiece_AndAddsUpToTheWholeAnswer()
    {
        var pieces = new List<string>();
        await foreach (var update in new LocalChatClient(_plain).GetStreamingResponseAsync(ChatAnswerWriter.Prompt(Question), Greedy(20)))
        {
            pieces.Add(update.Text);
        }

        Assert.That(pieces, Has.Count.GreaterThan(10), "one update per token or so, not one at the end");
        Assert.That(string.Concat(pieces), Is.EqualTo(TinyModel.Continuation(':', 20)));
    }

    [Test]
    public async Task CancelledGeneration_Throws_RatherThanPassingForAShortAnswer()
    {
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();

        await Assert.CatchAsync<OperationCanceledException>(() => new LocalChatClient(_plain).GetResponseAsync(ChatAnswerWriter.Prompt(Question), Greedy(20), cancel.Token));
    }

    private static ChatOptions Greedy(int maxTokens) => new() { Temperature = 0, MaxOutputTokens = maxTokens };

    private static LlmOptions Options(string path) => new() { Provider = LlmProvider.Local, ModelPath = path, ContextSize = 1024 };
}
