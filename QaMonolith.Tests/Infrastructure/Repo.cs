namespace QaMonolith.Tests.Infrastructure;

internal static class Repo
{
    /// <summary>The checkout's root: the folder holding QaMonolith.sln, found upwards from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    public static string Scripts => Environment.GetEnvironmentVariable("QA_SCRIPTS_DIR") ?? Path.Combine(Root, "scripts");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "QaMonolith.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"QaMonolith.sln not found above {AppContext.BaseDirectory}");
    }

    /// <summary>Runs scripts/services.sh with the given verb; returns its stdout, fails the test with its stderr.</summary>
    public static async Task<string> ServicesAsync(params string[] args)
    {
        var result = await Command.RunAsync("bash", [Path.Combine(Scripts, "services.sh"), .. args]);
        return result.ExitCode == 0
            ? result.Stdout.Trim()
            : throw new InvalidOperationException($"services.sh {string.Join(' ', args)} failed ({result.ExitCode}): {result.Stderr}");
    }
}
