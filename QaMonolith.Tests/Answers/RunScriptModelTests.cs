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
        string[] arguments = how switch
        {
            "--model" => ["--model", missing],
            "--model=" => [$"--model={missing}"],
            _ => [],
        };
        var environment = how == "QA_MODEL" ? new Dictionary<string, string> { ["QA_MODEL"] = missing } : null;

        var run = await Command.RunAsync("bash", [Path.Combine(Repo.Root, "scripts", "run.sh"), .. arguments], environment: environment);

        Assert.That(run.ExitCode, Is.EqualTo(1));
        Assert.That(run.Stderr, Does.Contain($"model file {missing} not found"));
        Assert.That(run.Stdout, Does.Not.Contain("QaMonolith:"), "nothing was started");
    }
}
