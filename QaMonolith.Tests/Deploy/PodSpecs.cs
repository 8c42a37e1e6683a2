using System.Globalization;
using System.Text;
using k8s.Models;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Deploy;

/// <summary>What a pod of the set would see: its environment, its ports, the settings it runs with.</summary>
internal static class PodSpecs
{
    public static readonly string[] ModuleNames = ["Api", "Answers", "Live", "Web"];

    /// <summary>The port the image listens on: the Dockerfile's EXPOSE.</summary>
    public static int ImagePort { get; } = int.Parse(
        Dockerfile.Read(Path.Combine(Repo.Root, "Dockerfile")).Final.All("EXPOSE").Single().Arguments, CultureInfo.InvariantCulture);

    public static V1Container App(V1Deployment deployment) => deployment.Spec.Template.Spec.Containers.Single();

    public static string Role(V1Deployment deployment) =>
        deployment.Spec.Template.Metadata.Labels.Get(Manifests.ComponentLabel) ?? $"(no {Manifests.ComponentLabel} label)";

    /// <summary>The container port a probe or a Service's targetPort names, by name or by number; null if none.</summary>
    public static int? Resolve(V1Container container, IntOrString? port)
    {
        if (port?.Value is not { } value)
        {
            return null;
        }

        return int.TryParse(value, CultureInfo.InvariantCulture, out var number)
            ? container.Ports?.FirstOrDefault(p => p.ContainerPort == number)?.ContainerPort
            : container.Ports?.FirstOrDefault(p => p.Name == value)?.ContainerPort;
    }

    /// <summary>Variable name to value as the container gets them: envFrom first, env on top (Kubernetes' own order).</summary>
    public static Dictionary<string, string?> Environment(ManifestSet set, V1Container container)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var source in container.EnvFrom ?? [])
        {
            var data = source.ConfigMapRef is { } map
                ? set.ConfigMap(map.Name)?.Data
                : set.Secret(source.SecretRef.Name) is { } secret ? SecretData(secret) : null;
            foreach (var (key, value) in data ?? new Dictionary<string, string>())
            {
                env[key] = value;
            }
        }

        foreach (var variable in container.Env ?? [])
        {
            env[variable.Name] = variable.ValueFrom switch
            {
                null => variable.Value,
                { ConfigMapKeyRef: { } key } => set.ConfigMap(key.Name)?.Data?.Get(key.Key),
                { SecretKeyRef: { } key } => set.Secret(key.Name) is { } secret ? SecretData(secret).Get(key.Key) : null,
                _ => null,
            };
        }

        return env;
    }

    public static Dictionary<string, string> SecretData(V1Secret secret)
    {
        var data = (secret.Data ?? new Dictionary<string, byte[]>()).ToDictionary(p => p.Key, p => Encoding.UTF8.GetString(p.Value));
        foreach (var (key, value) in secret.StringData ?? new Dictionary<string, string>())
        {
            data[key] = value;
        }

        return data;
    }

    /// <summary>A setting as the pod runs with it: its environment, else appsettings.json; null when neither sets it.</summary>
    public static string? Setting(ManifestSet set, V1Deployment deployment, string key) =>
        Environment(set, App(deployment)).Get(key.Replace(":", "__", StringComparison.Ordinal))
        ?? AppConfiguration.FromAppSettings(key);

    public static TimeSpan Duration(ManifestSet set, V1Deployment deployment, string key, TimeSpan optionsDefault) =>
        Setting(set, deployment, key) is { } value ? TimeSpan.Parse(value, CultureInfo.InvariantCulture) : optionsDefault;

    /// <summary>The modules a Deployment turns on; a module it does not name is on (ModulesOptions defaults to true).</summary>
    public static string[] EnabledModules(ManifestSet set, V1Deployment deployment) =>
        [.. ModuleNames.Where(m => !string.Equals(Setting(set, deployment, $"Modules:{m}"), "false", StringComparison.OrdinalIgnoreCase))];
}
