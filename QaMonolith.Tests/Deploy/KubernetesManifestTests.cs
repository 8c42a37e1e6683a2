using k8s.Models;

namespace QaMonolith.Tests.Deploy;

/// <summary>
/// deploy/kubernetes holds together: no Kubernetes schema validator is to be had here, so the manifests are read
/// strictly into the Kubernetes client's typed objects (its models are generated from the API's OpenAPI schema; an
/// unknown field or a wrong type fails), and what refers to what is checked by hand. Each set is what would be
/// applied: the base alone, and the dev and production overlays as kustomize renders them.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly string[] Sets = Manifests.Sets;

    // The base names postgres and redis and leaves them to an overlay.
    private static readonly string[] Overlays = [.. Manifests.Sets.Where(s => s != Manifests.Base)];

    [Test]
    public void EveryManifestFile_ParsesStrictlyAsKubernetesObjects()
    {
        var files = Directory.GetFiles(Manifests.Folder, "*.yaml", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .ToArray();

        Assert.That(files, Is.Not.Empty);
        foreach (var file in files)
        {
            var relative = Path.GetRelativePath(Manifests.Folder, file);
            try
            {
                Assert.That(Manifests.Parse(File.ReadAllText(file)), Is.Not.Empty, relative);
            }
            catch (YamlDotNet.Core.YamlException ex)
            {
                Assert.Fail($"{relative}: {ex.Message} {ex.InnerException?.Message}");
            }
        }
    }

    [TestCaseSource(nameof(Sets))]
    public void Kustomization_ListsEveryManifestOfItsFolder_AndOnlyFilesThatExist(string name)
    {
        var folder = Path.Combine(Manifests.Folder, name);
        var kustomization = Manifests.ReadKustomization(folder);
        var listed = kustomization.Resources.Concat(kustomization.Patches.Select(p => p.Path)).OfType<string>()
            .Select(r => Path.GetFullPath(Path.Combine(folder, r)))
            .ToHashSet();
        var present = Directory.GetFiles(folder, "*.yaml", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "kustomization.yaml");

        Assert.Multiple(() =>
        {
            Assert.That(present.Where(f => !listed.Contains(f)), Is.Empty, "files kustomize would silently leave out");
            Assert.That(listed.Where(f => !File.Exists(f) && !Directory.Exists(f)), Is.Empty, "listed but missing");
        });
    }

    [TestCaseSource(nameof(Sets))]
    public async Task Services_SelectPodsAndTargetAPortTheirContainerHas(string name)
    {
        var set = await Manifests.GetAsync(name);
        var services = set.Of<V1Service>().Where(s => s.Spec.Type != "ExternalName").ToArray();

        Assert.That(services, Is.Not.Empty);
        Assert.Multiple(() =>
        {
            foreach (var service in services)
            {
                var pods = set.Selected(service.Spec.Selector).ToArray();
                Assert.That(pods, Is.Not.Empty, $"Service {service.Metadata.Name} selects no Deployment's pods");
                foreach (var port in service.Spec.Ports)
                {
                    foreach (var pod in pods)
                    {
                        var container = pod.Spec.Template.Spec.Containers.Single();
                        Assert.That(PodSpecs.Resolve(container, port.TargetPort ?? (IntOrString)port.Port), Is.Not.Null,
                            $"Service {service.Metadata.Name} port {port.Name} targets {port.TargetPort?.Value}, which {pod.Metadata.Name} does not expose");
                    }
                }
            }
        });
    }

    [TestCaseSource(nameof(Sets))]
    public async Task IngressBackends_NameExistingServicesAndPorts(string name)
    {
        var set = await Manifests.GetAsync(name);
        var backends = set.Of<V1Ingress>().SelectMany(i => i.Spec.Rules).SelectMany(r => r.Http.Paths).Select(p => (p.Path, p.Backend.Service)).ToArray();

        Assert.That(backends, Is.Not.Empty);
        Assert.Multiple(() =>
        {
            foreach (var (path, backend) in backends)
            {
                var service = set.Of<V1Service>().SingleOrDefault(s => s.Metadata.Name == backend.Name);
                Assert.That(service, Is.Not.Null, $"{path} routes to Service {backend.Name}, which does not exist");
                Assert.That(service?.Spec.Ports.Any(p => p.Name == backend.Port.Name || p.Port == backend.Port.Number), Is.True,
                    $"{path} routes to port {backend.Port.Name ?? backend.Port.Number?.ToString(System.Globalization.CultureInfo.InvariantCulture)} of {backend.Name}, which it lacks");
            }
        });
    }

    [TestCaseSource(nameof(Sets))]
    public async Task Autoscalers_ScaleExistingDeployments_WebAndLiveEach(string name)
    {
        var set = await Manifests.GetAsync(name);
        var targets = set.Of<V2HorizontalPodAutoscaler>()
            .Select(h => set.Of<V1Deployment>().SingleOrDefault(d => h.Spec.ScaleTargetRef.Kind == "Deployment" && d.Metadata.Name == h.Spec.ScaleTargetRef.Name))
            .ToArray();

        Assert.Multiple(() =>
        {
            Assert.That(targets, Has.None.Null, "an HPA scales a Deployment that does not exist");
            Assert.That(targets.OfType<V1Deployment>().Select(PodSpecs.Role), Is.EquivalentTo(new[] { "web", "live" }));
        });
    }

    [TestCaseSource(nameof(Sets))]
    public async Task DisruptionBudgets_SelectExistingPods(string name)
    {
        var set = await Manifests.GetAsync(name);

        Assert.Multiple(() =>
        {
            foreach (var budget in set.Of<V1PodDisruptionBudget>())
            {
                Assert.That(set.Selected(budget.Spec.Selector.MatchLabels), Is.Not.Empty, $"PodDisruptionBudget {budget.Metadata.Name} selects no pods");
            }
        });
    }

    [TestCaseSource(nameof(Sets))]
    public async Task EnvironmentReferences_NameExistingConfigMapsSecretsAndKeys(string name)
    {
        var set = await Manifests.GetAsync(name);
        var containers = set.Of<V1Deployment>().SelectMany(d => d.Spec.Template.Spec.Containers.Select(c => (d.Metadata.Name, c))).ToArray();

        Assert.Multiple(() =>
        {
            foreach (var (deployment, container) in containers)
            {
                foreach (var source in container.EnvFrom ?? [])
                {
                    Assert.That(source.ConfigMapRef is { } map ? set.ConfigMap(map.Name) is not null : set.Secret(source.SecretRef.Name) is not null, Is.True,
                        $"{deployment} takes its environment from {source.ConfigMapRef?.Name ?? source.SecretRef.Name}, which does not exist");
                }

                foreach (var variable in container.Env ?? [])
                {
                    if (variable.ValueFrom?.ConfigMapKeyRef is { } mapKey)
                    {
                        Assert.That(set.ConfigMap(mapKey.Name)?.Data?.ContainsKey(mapKey.Key), Is.True, $"{deployment}: {variable.Name} from ConfigMap {mapKey.Name} key {mapKey.Key}, which it lacks");
                    }

                    if (variable.ValueFrom?.SecretKeyRef is { } secretKey)
                    {
                        var secret = set.Secret(secretKey.Name);
                        Assert.That(secret is not null && PodSpecs.SecretData(secret).ContainsKey(secretKey.Key), Is.True,
                            $"{deployment}: {variable.Name} from Secret {secretKey.Name} key {secretKey.Key}, which it lacks");
                    }
                }
            }
        });
    }

    [TestCaseSource(nameof(Sets))]
    public async Task Volumes_ClaimExistingPersistentVolumeClaims(string name)
    {
        var set = await Manifests.GetAsync(name);
        var claims = set.Of<V1Deployment>().SelectMany(d => d.Spec.Template.Spec.Volumes ?? []).Select(v => v.PersistentVolumeClaim?.ClaimName).OfType<string>();

        Assert.That(claims.Where(c => !set.Of<V1PersistentVolumeClaim>().Any(p => p.Metadata.Name == c)), Is.Empty);
    }

    [TestCaseSource(nameof(Overlays))]
    public async Task ConnectionStringHosts_AreServicesTheOverlayDefines(string name)
    {
        var set = await Manifests.GetAsync(name);
        var services = set.Of<V1Service>().Select(s => s.Metadata.Name).ToHashSet();
        Assert.Multiple(() =>
        {
            foreach (var deployment in set.AppDeployments())
            {
                var postgres = new Npgsql.NpgsqlConnectionStringBuilder(PodSpecs.Setting(set, deployment, "ConnectionStrings:Postgres")).Host;
                var redis = StackExchange.Redis.ConfigurationOptions.Parse(PodSpecs.Setting(set, deployment, "ConnectionStrings:Redis")!).EndPoints
                    .Select(e => e is System.Net.DnsEndPoint dns ? dns.Host : e.ToString()).Single();
                Assert.That(services, Does.Contain(postgres).And.Contain(redis), $"{deployment.Metadata.Name} connects to {postgres} and {redis}");
            }
        });
    }
}
