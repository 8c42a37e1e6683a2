using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using LLama;
using LLama.Common;
using LLama.Exceptions;
using LLama.Native;
using LLama.Sampling;
using LLama.Transformers;
using Microsoft.Extensions.AI;

namespace QaMonolith.Answers;

/// <summary>The model file could not be loaded; the message names the file and what llama.cpp said about it.</summary>
internal sealed class LocalModelException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>
/// A GGUF model in this process: the weights are loaded once and shared, and every generation gets a context of its
/// own (a <see cref="StatelessExecutor"/> creates one per call and frees it at the end). Executors are kept for
/// reuse, at most as many as generations ever ran at once; the caller bounds that number.
/// </summary>
internal sealed class LocalModel : IDisposable
{
    /// <summary>A plain-prompt model that starts a new question of its own has finished its answer.</summary>
    internal const string PlainStop = "\nQuestion:";

    private const int DefaultMaxTokens = 512;
    private const float DefaultTemperature = 0.7f;

    private readonly LLamaWeights _weights;
    private readonly ModelParams _parameters;
    private readonly ConcurrentBag<StatelessExecutor> _idle = [];
    private int _running;
    private int _peak;

    private LocalModel(LLamaWeights weights, ModelParams parameters, string name, bool chatTemplate)
    {
        _weights = weights;
        _parameters = parameters;
        Name = name;
        UsesChatTemplate = chatTemplate;
    }

    /// <summary>What <c>author.model</c> says when Llm:Model is not set: the file's name without its extension.</summary>
    public string Name { get; }

    /// <summary>Whether prompts go through the model's own chat template (else a plain question-and-answer prompt).</summary>
    public bool UsesChatTemplate { get; }

    /// <summary>Generations running now, and the most that ever ran at once.</summary>
    public int Running => Volatile.Read(ref _running);

    public int PeakRunning => Volatile.Read(ref _peak);

    /// <summary>Loads the file named by Llm:ModelPath; a <see cref="LocalModelException"/> names the file and the reason.</summary>
    public static LocalModel Load(LlmOptions options, ILogger logger)
    {
        var path = Path.GetFullPath(options.ModelPath ?? throw new LocalModelException("Llm:ModelPath is not set; set Llm__ModelPath to a GGUF model file"));
        if (LocalModelFile.Check(path) is { } problem)
        {
            throw new LocalModelException(problem);
        }

        var parameters = new ModelParams(path)
        {
            ContextSize = (uint)options.ContextSize,
            GpuLayerCount = 0,
        };
        if (options.Threads is { } threads)
        {
            parameters.Threads = threads;
            parameters.BatchThreads = threads;
        }

        NativeLog.Attach(logger);
        try
        {
            // Loads llama.cpp's native files now, so a missing one is told apart from a bad model file.
            NativeApi.llama_empty_call();
        }
        catch (Exception ex) when (ex is TypeInitializationException or DllNotFoundException or RuntimeError or BadImageFormatException)
        {
            throw new LocalModelException(
                $"llama.cpp could not be loaded, so Llm:ModelPath {path} cannot be used: the build carries it for linux-x64 only "
                + "(see the README to add a platform), and on Linux it needs libgomp1 and libstdc++6: " + (ex.InnerException ?? ex).Message, ex);
        }

        LLamaWeights weights;
        NativeLog.StartCapture();
        try
        {
            weights = LLamaWeights.LoadFromFile(parameters);
        }
        catch (Exception ex) when (ex is LoadWeightsFailedException or RuntimeError or ArgumentException)
        {
            var said = NativeLog.StopCapture();
            throw new LocalModelException(
                $"Llm:ModelPath {path} could not be loaded as a language model (unsupported architecture, or a damaged or incomplete file)"
                + (said.Length > 0 ? ": llama.cpp said: " + string.Join(" | ", said) : ""), ex);
        }
        finally
        {
            NativeLog.StopCapture();
        }

        var model = new LocalModel(weights, parameters, Path.GetFileNameWithoutExtension(path), HasWorkingTemplate(weights, logger));
        logger.LogInformation("Loaded {Path}: {Parameters} parameters, context {ContextSize}, {Prompt}",
            path, weights.ParameterCount, options.ContextSize, model.UsesChatTemplate ? "its own chat template" : "a plain prompt (the file has no chat template)");
        return model;
    }

    /// <summary>The prompt the model sees: the messages through its chat template, or a plain question and answer.</summary>
    public string Prompt(IEnumerable<ChatMessage> messages)
    {
        if (UsesChatTemplate)
        {
            var template = new LLamaTemplate(_weights, strict: true) { AddAssistant = true };
            foreach (var message in messages)
            {
                template.Add(message.Role.Value, message.Text);
            }

            return PromptTemplateTransformer.ToModelPrompt(template);
        }

        // A base model continues text: the instructions, then the question, then the start of an answer.
        var prompt = new StringBuilder();
        foreach (var message in messages)
        {
            prompt.Append(message.Role == ChatRole.User ? $"Question: {message.Text}\n" : $"{message.Text}\n\n");
        }

        return prompt.Append("Answer:").ToString();
    }

    /// <summary>The answer's text piece by piece, as the model writes it.</summary>
    public async IAsyncEnumerable<string> GenerateAsync(string prompt, ChatOptions? options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var executor = _idle.TryTake(out var idle) ? idle : new StatelessExecutor(_weights, _parameters);
        var running = Interlocked.Increment(ref _running);
        for (var peak = Volatile.Read(ref _peak); running > peak; peak = Volatile.Read(ref _peak))
        {
            Interlocked.CompareExchange(ref _peak, running, peak);
        }

        var temperature = options?.Temperature ?? DefaultTemperature;
        using var sampling = new DefaultSamplingPipeline { Temperature = temperature, Seed = (uint)Random.Shared.Next() };
        var inference = new InferenceParams
        {
            MaxTokens = options?.MaxOutputTokens ?? DefaultMaxTokens,
            AntiPrompts = UsesChatTemplate ? [] : [PlainStop],
            SamplingPipeline = sampling,
        };
        try
        {
            await foreach (var piece in executor.InferAsync(prompt, inference, cancellationToken))
            {
                yield return piece;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _running);
            _idle.Add(executor);
        }

        // The executor ends quietly when cancelled; a time-out must not pass for a short but complete answer.
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Only a template llama.cpp knows how to apply counts; any other is logged once and the plain prompt used.</summary>
    private static bool HasWorkingTemplate(LLamaWeights weights, ILogger logger)
    {
        if (!weights.Metadata.TryGetValue("tokenizer.chat_template", out var source) || string.IsNullOrWhiteSpace(source))
        {
            return false;
        }

        try
        {
            var template = new LLamaTemplate(weights, strict: true) { AddAssistant = true };
            template.Add("user", "?");
            return PromptTemplateTransformer.ToModelPrompt(template).Length > 0;
        }
        catch (Exception ex) when (ex is RuntimeError or InvalidOperationException or ArgumentException)
        {
            logger.LogWarning("The model's chat template is not one llama.cpp can apply ({Error}); using a plain prompt", ex.Message);
            return false;
        }
    }

    public void Dispose()
    {
        _weights.Dispose();
    }
}
