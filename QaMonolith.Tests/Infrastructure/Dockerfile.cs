using System.Text.Json;
using System.Text.RegularExpressions;

namespace QaMonolith.Tests.Infrastructure;

/// <summary>One instruction of a Dockerfile: its keyword (upper case) and its arguments, continuation lines joined.</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments)
{
    /// <summary>The arguments of the exec form (<c>["a", "b"]</c>), or null for the shell form.</summary>
    public string[]? ExecForm => Arguments.StartsWith('[') ? JsonSerializer.Deserialize<string[]>(Arguments) : null;
}

/// <summary>A build stage: <c>FROM image [AS name]</c> and the instructions up to the next FROM.</summary>
internal sealed record DockerStage(string Image, string? Name, IReadOnlyList<DockerInstruction> Instructions)
{
    public IEnumerable<DockerInstruction> All(string keyword) => Instructions.Where(i => i.Keyword == keyword);

    /// <summary>The ENV values of the stage (both <c>ENV a=b c=d</c> and the old <c>ENV a b</c>).</summary>
    public Dictionary<string, string> Environment()
    {
        var env = new Dictionary<string, string>();
        foreach (var instruction in All("ENV"))
        {
            var pairs = Regex.Matches(instruction.Arguments, @"(\w+)=(""[^""]*""|\S+)");
            if (pairs.Count == 0)
            {
                var parts = instruction.Arguments.Split(' ', 2, StringSplitOptions.TrimEntries);
                env[parts[0]] = parts[1];
            }

            foreach (Match pair in pairs)
            {
                env[pair.Groups[1].Value] = pair.Groups[2].Value.Trim('"');
            }
        }

        return env;
    }
}

/// <summary>
/// The repository's Dockerfile read the way docker reads it (comments, line continuations, stages), so tests can
/// check it against the project and replay its build stage without a Docker engine.
/// </summary>
internal sealed class Dockerfile
{
    private Dockerfile(IReadOnlyList<DockerStage> stages) => Stages = stages;

    public IReadOnlyList<DockerStage> Stages { get; }

    /// <summary>The stage the image is made of: the last one.</summary>
    public DockerStage Final => Stages[^1];

    public DockerStage Stage(string name) => Stages.Single(s => s.Name == name);

    public static Dockerfile Read(string path) => Parse(File.ReadAllLines(path));

    public static Dockerfile Parse(IEnumerable<string> lines)
    {
        var instructions = new List<DockerInstruction>();
        var pending = "";
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || (line.Length == 0 && pending.Length == 0))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                pending += line[..^1].TrimEnd() + " ";
                continue;
            }

            line = pending + line;
            pending = "";
            if (line.Length > 0)
            {
                var parts = line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                instructions.Add(new DockerInstruction(parts[0].ToUpperInvariant(), parts.Length > 1 ? parts[1] : ""));
            }
        }

        var stages = new List<DockerStage>();
        foreach (var instruction in instructions)
        {
            if (instruction.Keyword == "FROM")
            {
                var words = instruction.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var name = words.Length == 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null;
                stages.Add(new DockerStage(words[0], name, []));
            }
            else if (stages.Count > 0)
            {
                stages[^1] = stages[^1] with { Instructions = [.. stages[^1].Instructions, instruction] };
            }
        }

        return new Dockerfile(stages);
    }
}
