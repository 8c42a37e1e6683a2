using System.Text.RegularExpressions;

namespace QaMonolith.Tests.Infrastructure;

/// <summary>The image's file system as the Dockerfile builds it: the final stage's working folder, entry point and environment.</summary>
internal sealed record BuiltImage(Dockerfile Dockerfile, string WorkDir, string[] Entrypoint, IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>Starts the entry point on this machine, as the container would, with the image's ENV plus <paramref name="environment"/>.</summary>
    public Task<AppProcess> StartAsync(IReadOnlyDictionary<string, string> environment, string name)
    {
        var env = new Dictionary<string, string>(Environment);
        foreach (var (key, value) in environment)
        {
            env[key] = value;
        }

        return AppProcess.StartAsync(Entrypoint[0], Entrypoint[1..], WorkDir, env, name);
    }
}

/// <summary>
/// Replays the repository's Dockerfile without a Docker engine: each stage's WORKDIR, COPY (from the build context,
/// honouring .dockerignore, or <c>--from</c> an earlier stage), ENV and RUN, with the stage's absolute paths mapped
/// under a folder of its own. dotnet RUN commands run exactly as written (only their absolute paths are mapped), so
/// the restore and publish here are the image's; an apt-get install is checked against this machine's packages. Done once per test run; the tests that need the published app share it.
/// </summary>
internal static partial class ImageBuild
{
    private static readonly Lazy<Task<BuiltImage>> s_image = new(BuildAsync);

    public static Task<BuiltImage> ImageAsync() => s_image.Value;

    private static async Task<BuiltImage> BuildAsync()
    {
        var dockerfile = Dockerfile.Read(Path.Combine(Repo.Root, "Dockerfile"));
        var ignore = DockerIgnore.Read(Path.Combine(Repo.Root, ".dockerignore"));
        var roots = new Dictionary<string, string>();
        StageState? last = null;
        for (var i = 0; i < dockerfile.Stages.Count; i++)
        {
            var stage = dockerfile.Stages[i];
            var root = Path.Combine(Servers.Root, "image", $"stage{i}");
            Directory.CreateDirectory(root);
            if (stage.Name is not null)
            {
                roots[stage.Name] = root;
            }

            last = await ReplayAsync(stage, root, roots, ignore);
        }

        var entrypoint = dockerfile.Final.All("ENTRYPOINT").Last().ExecForm
            ?? throw new InvalidOperationException("ENTRYPOINT must use the exec form");
        return new BuiltImage(dockerfile, last!.WorkDir, entrypoint, dockerfile.Final.Environment());
    }

    private sealed record StageState(string WorkDir);

    private static async Task<StageState> ReplayAsync(DockerStage stage, string root, Dictionary<string, string> roots, DockerIgnore ignore)
    {
        var workDir = root;
        var env = new Dictionary<string, string>();
        foreach (var instruction in stage.Instructions)
        {
            switch (instruction.Keyword)
            {
                case "WORKDIR":
                    workDir = Map(root, workDir, instruction.Arguments);
                    Directory.CreateDirectory(workDir);
                    break;
                case "ENV":
                    foreach (var (key, value) in new DockerStage(stage.Image, null, [instruction]).Environment())
                    {
                        env[key] = value;
                    }

                    break;
                case "COPY":
                    Copy(instruction, root, workDir, roots, ignore);
                    break;
                case "RUN" when instruction.Arguments.StartsWith("dotnet ", StringComparison.Ordinal):
                    await RunAsync(MapAbsolutePaths(root, instruction.Arguments), workDir, env);
                    break;
                case "RUN":
                    // The base image's own packages: this machine must have them (scripts/services.sh install does).
                    await AssertInstalledAsync(instruction.Arguments);
                    break;
            }
        }

        return new StageState(workDir);
    }

    private static void Copy(DockerInstruction instruction, string root, string workDir, Dictionary<string, string> roots, DockerIgnore ignore)
    {
        var words = instruction.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var from = words.FirstOrDefault(w => w.StartsWith("--from=", StringComparison.Ordinal))?["--from=".Length..];
        var paths = words.Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToArray();
        var destination = Map(root, workDir, paths[^1]);
        foreach (var source in paths[..^1])
        {
            var path = from is null ? Path.Combine(Repo.Root, source) : Map(roots[from], roots[from], source);
            if (Directory.Exists(path))
            {
                CopyTree(path, destination, from is null ? ignore : DockerIgnore.None, from is null ? Path.GetRelativePath(Repo.Root, path) : "");
            }
            else if (File.Exists(path))
            {
                var target = paths[^1].EndsWith('/') || paths.Length > 2 ? Path.Combine(destination, Path.GetFileName(path)) : destination;
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(path, target, overwrite: true);
            }
            else
            {
                throw new FileNotFoundException($"COPY source {source} does not exist", path);
            }
        }
    }

    private static void CopyTree(string source, string destination, DockerIgnore ignore, string relativeRoot)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (ignore.Excludes(Path.Combine(relativeRoot, relative)))
            {
                continue;
            }

            var target = Path.Combine(destination, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    private static Task RunAsync(string command, string workDir, Dictionary<string, string> env) =>
        Command.OutputAsync("bash", ["-c", command], workDir, new Dictionary<string, string>(env)
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
        });

    /// <summary>Every package an <c>apt-get install</c> RUN adds is installed here; any other RUN is not understood.</summary>
    private static async Task AssertInstalledAsync(string command)
    {
        var install = AptInstall().Match(command);
        if (!install.Success)
        {
            throw new NotSupportedException($"RUN {command}: only dotnet commands and apt-get install can be replayed");
        }

        foreach (var package in install.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(p => !p.StartsWith('-')))
        {
            var status = await Command.RunAsync("dpkg-query", ["-W", "-f=${Status}", package]);
            if (!status.Stdout.Contains("install ok installed", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"the image installs {package}, which this machine lacks; run scripts/services.sh install");
            }
        }
    }

    [GeneratedRegex(@"apt-get install ([^&;|]+)")]
    private static partial Regex AptInstall();

    /// <summary>A path inside the stage: absolute ones under its root, relative ones under the working folder.</summary>
    private static string Map(string root, string workDir, string path) =>
        Path.GetFullPath(path.StartsWith('/') ? Path.Combine(root, path.TrimStart('/')) : Path.Combine(workDir, path));

    /// <summary>Absolute paths in a RUN command (<c>-o /app</c>) moved under the stage's root; nothing else changes.</summary>
    private static string MapAbsolutePaths(string root, string command) =>
        AbsolutePath().Replace(command, m => root + m.Value);

    [GeneratedRegex(@"(?<=(^|\s))/[\w.-][\w./-]*")]
    private static partial Regex AbsolutePath();
}

/// <summary>The .dockerignore patterns this repository uses: <c>**/name</c> (any segment) and <c>path</c> (from the root).</summary>
internal sealed class DockerIgnore(IReadOnlyList<string> patterns)
{
    public static readonly DockerIgnore None = new([]);

    public static DockerIgnore Read(string path) => File.Exists(path)
        ? new([.. File.ReadAllLines(path).Select(l => l.Trim().TrimEnd('/')).Where(l => l.Length > 0 && !l.StartsWith('#'))])
        : None;

    public bool Excludes(string relativePath)
    {
        var segments = relativePath.Split(Path.DirectorySeparatorChar);
        foreach (var pattern in patterns)
        {
            if (pattern.StartsWith("**/", StringComparison.Ordinal))
            {
                if (segments.Contains(pattern[3..]))
                {
                    return true;
                }
            }
            else if (relativePath == pattern || relativePath.StartsWith(pattern + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
