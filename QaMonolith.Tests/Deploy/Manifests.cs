using k8s;
using k8s.Models;
using QaMonolith.Tests.Infrastructure;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace QaMonolith.Tests.Deploy;

/// <summary>The objects of one way to apply deploy/kubernetes: the base alone, or an overlay as kustomize renders it.</summary>
internal sealed record ManifestSet(string Name, IReadOnlyList<IKubernetesObject> Objects)
{
    public IEnumerable<T> Of<T>() => Objects.OfType<T>();

    /// <summary>The Deployments running the app's image, as opposed to the dev overlay's PostgreSQL and Redis.</summary>
    public IEnumerable<V1Deployment> AppDeployments() =>
        Of<V1Deployment>().Where(d => d.Spec.Template.Metadata.Labels?.Get(Manifests.NameLabel) == Manifests.AppName);

    public V1ConfigMap? ConfigMap(string name) => Of<V1ConfigMap>().SingleOrDefault(c => c.Metadata.Name == name);

    public V1Secret? Secret(string name) => Of<V1Secret>().SingleOrDefault(s => s.Metadata.Name == name);

    /// <summary>The Deployments whose pods a label selector picks.</summary>
    public IEnumerable<V1Deployment> Selected(IDictionary<string, string>? selector) =>
        selector is null || selector.Count == 0
            ? []
            : Of<V1Deployment>().Where(d => selector.All(l => d.Spec.Template.Metadata.Labels?.Get(l.Key) == l.Value));

    public override string ToString() => Name;
}

/// <summary>Loads deploy/kubernetes into the Kubernetes client's typed objects, strictly: a misspelt or misplaced field fails.</summary>
internal static class Manifests
{
    public const string Base = "base";
    public const string NameLabel = "app.kubernetes.io/name";
    public const string ComponentLabel = "app.kubernetes.io/component";
    public const string AppName = "qamonolith";

    public static readonly string[] Sets = [Base, "dev", "production"];

    public static string Folder { get; } = Path.Combine(Repo.Root, "deploy", "kubernetes");

    private static readonly Dictionary<string, Lazy<Task<ManifestSet>>> Loaded =
        Sets.ToDictionary(s => s, s => new Lazy<Task<ManifestSet>>(() => LoadAsync(s)));

    private static readonly IDeserializer KustomizationReader = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .IgnoreUnmatchedProperties()
        .Build();

    /// <summary>The base is read file by file from its kustomization; an overlay needs kustomize, which kubectl carries.</summary>
    public static Task<ManifestSet> GetAsync(string name)
    {
        if (name != Base && Kubectl is null)
        {
            Assert.Ignore($"kubectl (with its built-in kustomize) is not on PATH, so the {name} overlay cannot be rendered");
        }

        return Loaded[name].Value;
    }

    public static IReadOnlyList<IKubernetesObject> Parse(string yaml) =>
        [.. KubernetesYaml.LoadAllFromString(yaml, strict: true).Cast<IKubernetesObject>()];

    public static Kustomization ReadKustomization(string folder) =>
        KustomizationReader.Deserialize<Kustomization>(File.ReadAllText(Path.Combine(folder, "kustomization.yaml")));

    private static async Task<ManifestSet> LoadAsync(string name)
    {
        var folder = Path.Combine(Folder, name);
        if (name == Base)
        {
            var files = ReadKustomization(folder).Resources;
            return new ManifestSet(name, [.. files.SelectMany(f => Parse(File.ReadAllText(Path.Combine(folder, f))))]);
        }

        return new ManifestSet(name, Parse(await RenderAsync(folder)));
    }

    private static string? Kubectl { get; } = Environment.GetEnvironmentVariable("PATH")?
        .Split(Path.PathSeparator)
        .Select(dir => Path.Combine(dir, "kubectl"))
        .FirstOrDefault(File.Exists);

    private static Task<string> RenderAsync(string folder) => Command.OutputAsync(Kubectl!, ["kustomize", folder], timeout: TimeSpan.FromSeconds(60));
}

internal static class DictionaryExtensions
{
    /// <summary>The Kubernetes models hold maps as IDictionary, which has no GetValueOrDefault; missing maps are null.</summary>
    public static TValue? Get<TValue>(this IDictionary<string, TValue>? map, string key) =>
        map is not null && map.TryGetValue(key, out var value) ? value : default;
}

/// <summary>The parts of a kustomization.yaml the tests look at.</summary>
internal sealed class Kustomization
{
    public List<string> Resources { get; set; } = [];

    public List<KustomizationPatch> Patches { get; set; } = [];
}

internal sealed class KustomizationPatch
{
    public string? Path { get; set; }
}
