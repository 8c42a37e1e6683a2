namespace QaMonolith.Shared;

/// <summary>Which modules this process runs. Each can be switched off to move it to its own process.</summary>
internal sealed class ModulesOptions
{
    public const string Section = "Modules";

    public bool Api { get; set; } = true;
    public bool Answers { get; set; } = true;
    public bool Live { get; set; } = true;
    public bool Web { get; set; } = true;

    public IEnumerable<string> Enabled()
    {
        if (Api) yield return nameof(Api);
        if (Answers) yield return nameof(Answers);
        if (Live) yield return nameof(Live);
        if (Web) yield return nameof(Web);
    }
}
