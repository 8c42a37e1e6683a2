namespace QaMonolith.Answers;

/// <summary>What can be told about a model file before loading it, for the options check at start.</summary>
internal static class LocalModelFile
{
    /// <summary>Null when the file exists and starts as a GGUF file does; else why not, naming the path.</summary>
    public static string? Check(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return "Llm:ModelPath is required for Llm:Provider=Local; set Llm__ModelPath to a GGUF model file (scripts/run.sh --model FILE)";
        }

        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            return $"Llm:ModelPath {full} does not exist; set Llm__ModelPath to a GGUF model file";
        }

        Span<byte> magic = stackalloc byte[4];
        try
        {
            using var file = File.OpenRead(full);
            if (file.ReadAtLeast(magic, 4, throwOnEndOfStream: false) < 4 || !magic.SequenceEqual("GGUF"u8))
            {
                return $"Llm:ModelPath {full} is not a GGUF model file (it does not start with GGUF); llama.cpp needs the GGUF format";
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"Llm:ModelPath {full} cannot be read: {ex.Message}";
        }

        return null;
    }
}
