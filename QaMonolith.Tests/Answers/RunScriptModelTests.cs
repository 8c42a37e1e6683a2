using System.Diagnostics;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Answers;

/// <summary>scripts/run.sh's model option: a path that names no file stops it before it starts any server.</summary>
public sealed class RunScriptModelTests
{
    [TestCase("--model", TestName = "{m}(--model FILE)")]
    [TestCase("--model=", TestName = "{m}(--model=FILE)")]
    [TestCase("QA_MODEL", TestName = "{m}(QA_MODEL=FILE)")]
    [CancelAfter(60_000)]
    public async Task ModelThatIsNoFile_StopsRunShAtOnce_NamingIt(string how)
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-model-{Guid.NewGuid():N}.gguf");
        var start = new ProcessStartInfo("bash", [Path.Combine(Repo.Root, "scripts", "run.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        switch (how)
        {
            case "--model":
                start.ArgumentList.Add("--model");
                start.ArgumentList.Add(missing);
                break;
            case "--model=":
                start.ArgumentList.Add($"--model={missing}");
                break;
            default:
                start.Environment["QA_MODEL"] = missing;
                break;
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.That(process.ExitCode, Is.EqualTo(1));
        Assert.That(await stderr, Does.Contain($"model file {missing} not found"));
        Assert.That(await stdout, Does.Not.Contain("QaMonolith:"), "nothing was started");
    }
}
