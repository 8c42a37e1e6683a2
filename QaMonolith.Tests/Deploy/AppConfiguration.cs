using System.Reflection;
using System.Text.Json;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Deploy;

/// <summary>
/// The configuration keys the app reads: every key of the root appsettings.json, and every property of an options
/// class (a type with a <c>Section</c> constant, as STYLE.md has them), which covers the keys appsettings.json leaves
/// at their defaults. A manifest that sets anything else sets a key nobody reads, most often a misspelling.
/// </summary>
internal static class AppConfiguration
{
    /// <summary>Read by ASP.NET Core's host itself rather than bound by the app; only those the manifests use.</summary>
    private static readonly string[] HostSettings = ["ASPNETCORE_FORWARDEDHEADERS_ENABLED", "ASPNETCORE_HTTP_PORTS"];

    private static readonly Dictionary<string, string?> AppSettings = Flatten();

    private static readonly HashSet<string> Keys = new(
        AppSettings.Keys.Concat(OptionsKeys()).Concat(HostSettings),
        StringComparer.OrdinalIgnoreCase);

    /// <summary>The configuration key of an environment variable, as ASP.NET Core's environment provider maps it.</summary>
    public static string KeyOf(string variable) => variable.Replace("__", ":", StringComparison.Ordinal);

    public static bool IsRead(string variable)
    {
        var key = KeyOf(variable);
        // An array element (Live:AllowedOrigins:0) is a key of its array.
        var last = key.LastIndexOf(':');
        return Keys.Contains(key) || (last > 0 && int.TryParse(key[(last + 1)..], out _) && Keys.Contains(key[..last]));
    }

    /// <summary>A value from appsettings.json, for a setting a manifest leaves alone; null if the file does not set it.</summary>
    public static string? FromAppSettings(string key) =>
        AppSettings.FirstOrDefault(p => string.Equals(p.Key, key, StringComparison.OrdinalIgnoreCase)).Value;

    private static IEnumerable<string> OptionsKeys() =>
        from type in typeof(QaMonolith.Shared.ModulesOptions).Assembly.GetTypes()
        let section = type.GetField("Section", BindingFlags.Public | BindingFlags.Static)
        where section is { IsLiteral: true } && section.FieldType == typeof(string)
        from property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
        where property.SetMethod is { IsPublic: true }
        select $"{section.GetRawConstantValue()}:{property.Name}";

    private static Dictionary<string, string?> Flatten()
    {
        var keys = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repo.Root, "appsettings.json")));
        Walk(document.RootElement, "");
        return keys;

        void Walk(JsonElement element, string prefix)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        Walk(property.Value, prefix.Length == 0 ? property.Name : $"{prefix}:{property.Name}");
                    }

                    break;
                case JsonValueKind.Array:
                    keys[prefix] = null;
                    var index = 0;
                    foreach (var item in element.EnumerateArray())
                    {
                        Walk(item, $"{prefix}:{index++}");
                    }

                    break;
                default:
                    keys[prefix] = element.ValueKind == JsonValueKind.Null ? null : element.ToString();
                    break;
            }
        }
    }
}
