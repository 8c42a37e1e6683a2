using System.Text;

namespace QaMonolith.Tests.Answers;

/// <summary>
/// Writes a tiny <c>llama</c>-architecture GGUF v3 file that llama.cpp runs for real and whose output is known in
/// advance: every attention and feed-forward matrix is zero, so the hidden state is the last token's embedding, and
/// row j of <c>output.weight</c> is the embedding of token j-1, so the model always predicts the next token id. The
/// vocabulary is the 256 byte tokens in byte order, so the model writes the bytes after the prompt's last byte:
/// <c>abc</c> → <c>defg…</c>. About 600 KB, written in milliseconds.
/// </summary>
public static class TinyModel
{
    private const int Embedding = 64;
    private const int Layers = 2;
    private const int Heads = 4;
    private const int FeedForward = 128;
    private const int ContextLength = 2048;
    private const int FirstByteToken = 3;

    // <unk>, <s>, </s>, the 256 bytes, ▁ (which a space becomes).
    private const int VocabularySize = FirstByteToken + 256 + 1;

    /// <summary>A llama.cpp-known template (llama 2 with a system prompt): the prompt then ends with "[/INST]".</summary>
    public const string Llama2Template =
        "{% for message in messages %}{% if message['role'] == 'system' %}<<SYS>>\\n{{ message['content'] }}\\n<</SYS>>\\n\\n"
        + "{% else %}[INST] {{ message['content'] }} [/INST]{% endif %}{% endfor %}";

    /// <summary>What the model writes after a prompt ending in <paramref name="last"/>: the next bytes, <paramref name="count"/> of them.</summary>
    public static string Continuation(char last, int count) =>
        new([.. Enumerable.Range(last + 1, count).Select(b => (char)b)]);

    /// <summary>Writes the model to <paramref name="path"/>; with a chat template, or with another architecture name for failure tests.</summary>
    public static string Write(string path, string? chatTemplate = null, string architecture = "llama")
    {
        using var file = File.Create(path);
        using var w = new BinaryWriter(file, Encoding.UTF8);
        var tensors = Tensors();
        var metadata = new List<Action>
        {
            () => Kv(w, "general.architecture", architecture),
            () => Kv(w, "general.name", "qamonolith-tiny-next-byte"),
            () => KvU32(w, $"{architecture}.context_length", ContextLength),
            () => KvU32(w, $"{architecture}.embedding_length", Embedding),
            () => KvU32(w, $"{architecture}.block_count", Layers),
            () => KvU32(w, $"{architecture}.feed_forward_length", FeedForward),
            () => KvU32(w, $"{architecture}.attention.head_count", Heads),
            () => KvF32(w, $"{architecture}.attention.layer_norm_rms_epsilon", 1e-5f),
            () => Kv(w, "tokenizer.ggml.model", "llama"),
            () => KvStrings(w, "tokenizer.ggml.tokens", Vocabulary()),
            () => KvI32s(w, "tokenizer.ggml.token_type", TokenTypes()),
            () => KvU32(w, "tokenizer.ggml.bos_token_id", 1),
            () => KvU32(w, "tokenizer.ggml.eos_token_id", 2),
            () => KvU32(w, "tokenizer.ggml.unknown_token_id", 0),
            () => KvBool(w, "tokenizer.ggml.add_space_prefix", false),
        };
        if (chatTemplate is not null)
        {
            metadata.Add(() => Kv(w, "tokenizer.chat_template", chatTemplate));
        }

        w.Write("GGUF"u8);
        w.Write(3u);
        w.Write((ulong)tensors.Count);
        w.Write((ulong)metadata.Count);
        metadata.ForEach(write => write());

        ulong offset = 0;
        foreach (var (name, dims, _) in tensors)
        {
            Str(w, name);
            w.Write((uint)dims.Length);
            foreach (var d in dims)
            {
                w.Write((ulong)d);
            }

            w.Write(0u); // F32
            w.Write(offset);
            offset += Aligned((ulong)(dims.Aggregate(1, (a, b) => a * b) * 4));
        }

        Pad(w);
        foreach (var (_, _, data) in tensors)
        {
            foreach (var value in data)
            {
                w.Write(value);
            }

            Pad(w);
        }

        return path;
    }

    private static List<(string Name, int[] Dims, float[] Data)> Tensors()
    {
        var embeddings = new float[Embedding * VocabularySize];
        var output = new float[Embedding * VocabularySize];
        for (var token = 0; token < VocabularySize; token++)
        {
            Unit(token).CopyTo(embeddings, token * Embedding);
            if (token > 0)
            {
                Unit(token - 1).CopyTo(output, token * Embedding);
            }
        }

        float[] Ones(int n) => [.. Enumerable.Repeat(1f, n)];
        var tensors = new List<(string, int[], float[])>
        {
            ("token_embd.weight", [Embedding, VocabularySize], embeddings),
            ("output_norm.weight", [Embedding], Ones(Embedding)),
            ("output.weight", [Embedding, VocabularySize], output),
        };
        for (var layer = 0; layer < Layers; layer++)
        {
            var blk = $"blk.{layer}.";
            tensors.Add((blk + "attn_norm.weight", [Embedding], Ones(Embedding)));
            foreach (var m in new[] { "attn_q", "attn_k", "attn_v", "attn_output" })
            {
                tensors.Add((blk + m + ".weight", [Embedding, Embedding], new float[Embedding * Embedding]));
            }

            tensors.Add((blk + "ffn_norm.weight", [Embedding], Ones(Embedding)));
            tensors.Add((blk + "ffn_gate.weight", [Embedding, FeedForward], new float[Embedding * FeedForward]));
            tensors.Add((blk + "ffn_up.weight", [Embedding, FeedForward], new float[Embedding * FeedForward]));
            tensors.Add((blk + "ffn_down.weight", [FeedForward, Embedding], new float[Embedding * FeedForward]));
        }

        return tensors;
    }

    /// <summary>
    /// 260 tokens cannot all be orthogonal in 64 dimensions; two-hot vectors of distinct pairs are unit length and
    /// any two of them overlap by at most a half, so the right next token always wins by a wide margin.
    /// </summary>
    private static float[] Unit(int token)
    {
        var v = new float[Embedding];
        var index = 0;
        for (var a = 0; a < Embedding; a++)
        {
            for (var b = a + 1; b < Embedding; b++, index++)
            {
                if (index == token)
                {
                    v[a] = v[b] = MathF.Sqrt(0.5f);
                    return v;
                }
            }
        }

        throw new ArgumentOutOfRangeException(nameof(token));
    }

    private static string[] Vocabulary() =>
        ["<unk>", "<s>", "</s>", .. Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>"), "\u2581"];

    private static int[] TokenTypes() => [2, 3, 3, .. Enumerable.Repeat(6, 256), 1];

    private static ulong Aligned(ulong n) => (n + 31) / 32 * 32;

    private static void Pad(BinaryWriter w)
    {
        w.Flush();
        var position = (ulong)w.BaseStream.Position;
        w.Write(new byte[Aligned(position) - position]);
    }

    private static void Str(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void Kv(BinaryWriter w, string key, string value)
    {
        Str(w, key);
        w.Write(8u);
        Str(w, value);
    }

    private static void KvU32(BinaryWriter w, string key, uint value)
    {
        Str(w, key);
        w.Write(4u);
        w.Write(value);
    }

    private static void KvF32(BinaryWriter w, string key, float value)
    {
        Str(w, key);
        w.Write(6u);
        w.Write(value);
    }

    private static void KvBool(BinaryWriter w, string key, bool value)
    {
        Str(w, key);
        w.Write(7u);
        w.Write(value);
    }

    private static void KvStrings(BinaryWriter w, string key, string[] values) => KvArray(w, key, 8u, values, v => Str(w, v));

    private static void KvI32s(BinaryWriter w, string key, int[] values) => KvArray(w, key, 5u, values, w.Write);

    private static void KvArray<T>(BinaryWriter w, string key, uint elementType, T[] values, Action<T> write)
    {
        Str(w, key);
        w.Write(9u);
        w.Write(elementType);
        w.Write((ulong)values.Length);
        foreach (var value in values)
        {
            write(value);
        }
    }
}
