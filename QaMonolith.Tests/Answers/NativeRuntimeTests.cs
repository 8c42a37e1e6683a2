namespace QaMonolith.Tests.Answers;

/// <summary>The llama.cpp files the build ships (the publish takes the same list): linux-x64 only, two CPU variants.</summary>
public sealed class NativeRuntimeTests
{
    [Test]
    public void BuildOutput_HoldsLlamaCppForLinuxX64_InTheAvx2AndNoAvxVariantsOnly()
    {
        var runtimes = Path.Combine(AppContext.BaseDirectory, "runtimes");
        var llama = Directory.GetFiles(runtimes, "*llama*", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(runtimes, "*ggml*", SearchOption.AllDirectories))
            .Select(f => Path.GetRelativePath(runtimes, Path.GetDirectoryName(f)!).Replace('\\', '/'))
            .Distinct()
            .Order()
            .ToArray();
        var bytes = Directory.GetFiles(Path.Combine(runtimes, "linux-x64"), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

        Assert.That(llama, Is.EqualTo(new[] { "linux-x64/native/avx2", "linux-x64/native/noavx" }));
        Assert.That(bytes, Is.LessThan(20L << 20), "about 15 MB, not the package's 109 MB");
    }
}
