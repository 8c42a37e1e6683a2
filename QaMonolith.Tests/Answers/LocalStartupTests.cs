using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Answers;

/// <summary>A model file that cannot be used stops the start with one clear error naming the file, before anything runs.</summary>
public sealed class LocalStartupTests
{
    private string _dir = null!;

    [OneTimeSetUp]
    public void MakeDirectory() => _dir = Directory.CreateTempSubdirectory("qa-bad-model-").FullName;

    [OneTimeTearDown]
    public void RemoveDirectory() => Directory.Delete(_dir, recursive: true);

    [TestCase("missing", "does not exist")]
    [TestCase("not-gguf", "is not a GGUF model file")]
    [TestCase("empty", "is not a GGUF model file")]
    [TestCase("unknown-architecture", "unknown model architecture: 'nonesuch'")]
    [TestCase("truncated", "could not be loaded as a language model")]
    public async Task UnusableModelFile_StopsTheStart_WithAnErrorNamingTheFileAndWhy(string kind, string why)
    {
        var path = Path.Combine(_dir, $"{kind}.gguf");
        switch (kind)
        {
            case "not-gguf":
                await File.WriteAllTextAsync(path, "this is a text file, not model weights");
                break;
            case "empty":
                await File.WriteAllBytesAsync(path, []);
                break;
            case "unknown-architecture":
                TinyModel.Write(path, architecture: "nonesuch");
                break;
            case "truncated":
                TinyModel.Write(path);
                await using (var file = File.OpenWrite(path))
                {
                    file.SetLength(file.Length / 2);
                }

                break;
        }

        var error = await Assert.CatchAsync(() => QaApp.StartAsync(new Dictionary<string, string?>
        {
            ["Llm:Provider"] = "Local",
            ["Llm:ModelPath"] = path,
        }, waitUntilReady: false));

        Assert.That(error!.Message, Does.Contain(path).And.Contain(why), error.ToString());
    }
}
