using System.Collections.Concurrent;
using LLama.Native;

namespace QaMonolith.Answers;

/// <summary>
/// llama.cpp's log, which is process-wide: warnings and errors go to the app's log (its load chatter to Debug),
/// and while a file loads its complaints are kept, so the start-up error can say why the file was refused.
/// </summary>
internal static class NativeLog
{
    private static readonly ConcurrentQueue<string> s_captured = new();
    private static ILogger? s_logger;
    private static int s_attached;
    private static volatile bool s_capturing;

    public static void Attach(ILogger logger)
    {
        // The latest app's logger: in tests several apps share the process, and the native side keeps one callback.
        Volatile.Write(ref s_logger, logger);
        if (Interlocked.Exchange(ref s_attached, 1) == 0)
        {
            NativeLogConfig.llama_log_set(Log);
        }
    }

    public static void StartCapture()
    {
        s_captured.Clear();
        s_capturing = true;
    }

    public static string[] StopCapture()
    {
        s_capturing = false;
        return [.. s_captured];
    }

    private static void Log(LLamaLogLevel level, string message)
    {
        var text = message.Trim();
        if (text.Length == 0)
        {
            return;
        }

        if (s_capturing && level is LLamaLogLevel.Error or LLamaLogLevel.Warning && s_captured.Count < 10)
        {
            s_captured.Enqueue(text);
        }

        try
        {
            var logger = Volatile.Read(ref s_logger);
            switch (level)
            {
                case LLamaLogLevel.Error:
                    logger?.LogError("llama.cpp: {Message}", text);
                    break;
                case LLamaLogLevel.Warning:
                    logger?.LogWarning("llama.cpp: {Message}", text);
                    break;
                default:
                    logger?.LogDebug("llama.cpp: {Message}", text);
                    break;
            }
        }
        catch (ObjectDisposedException)
        {
            // That app's logging is gone already; an exception must never travel back into native code.
        }
    }
}
