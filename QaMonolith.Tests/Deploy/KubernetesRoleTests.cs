using System.Globalization;
using k8s.Models;
using QaMonolith.Answers;
using QaMonolith.Live;

namespace QaMonolith.Tests.Deploy;

/// <summary>
/// The app's side of deploy/kubernetes: each role runs exactly its modules from the one image, sets only keys the
/// app reads, is probed where the app answers, and is given the time and resources its own settings call for.
/// </summary>
public sealed class KubernetesRoleTests
{
    private static readonly string[] Sets = Manifests.Sets;

    private static readonly Dictionary<string, string[]> RoleModules = new()
    {
        ["web"] = ["Api", "Web"],
        ["answers"] = ["Answers"],
        ["live"] = ["Live"],
    };

    // The paths HealthEndpoints.MapHealth serves (Shared/HealthTests checks that they answer).
    private const string LivePath = "/health/live";
    private const string ReadyPath = "/health/ready";

    [TestCaseSource(nameof(Sets))]
    public async Task EachRole_SetsEveryModuleFlag_AndRunsExactlyItsModules(string name)
    {
        var set = await Manifests.GetAsync(name);
        var deployments = set.AppDeployments().ToArray();

        Assert.That(deployments.Select(PodSpecs.Role), Is.EquivalentTo(RoleModules.Keys));
        Assert.Multiple(() =>
        {
            foreach (var deployment in deployments)
            {
                // Spelt out, not left to the defaults (all true) or to the shared ConfigMap.
                var literal = (PodSpecs.App(deployment).Env ?? []).Where(e => e.ValueFrom is null).Select(e => e.Name);
                Assert.That(literal, Is.SupersetOf(PodSpecs.ModuleNames.Select(m => $"Modules__{m}")), deployment.Metadata.Name);
                Assert.That(PodSpecs.EnabledModules(set, deployment), Is.EquivalentTo(RoleModules[PodSpecs.Role(deployment)]), deployment.Metadata.Name);
            }
        });
    }

    [TestCaseSource(nameof(Sets))]
    public async Task EveryRole_RunsTheSameImage(string name)
    {
        var set = await Manifests.GetAsync(name);

        Assert.That(set.AppDeployments().Select(d => PodSpecs.App(d).Image).Distinct(), Has.Exactly(1).Items);
    }

    [TestCaseSource(nameof(Sets))]
    public async Task EveryVariableTheAppIsGiven_IsAConfigurationKeyItReads(string name)
    {
        var set = await Manifests.GetAsync(name);
        var unknown = set.AppDeployments()
            .SelectMany(d => PodSpecs.Environment(set, PodSpecs.App(d)).Keys.Select(v => (d.Metadata.Name, Variable: v)))
            .Where(p => !AppConfiguration.IsRead(p.Variable))
            .Select(p => $"{p.Name}: {p.Variable}");

        Assert.That(unknown, Is.Empty);
    }

    [TestCaseSource(nameof(Sets))]
    public async Task EveryRole_HasStartupLivenessAndReadinessProbes_OnTheAppsHealthPathsAndPort(string name)
    {
        var set = await Manifests.GetAsync(name);

        Assert.Multiple(() =>
        {
            foreach (var deployment in set.AppDeployments())
            {
                var container = PodSpecs.App(deployment);
                Assert.That(container.Ports.Select(p => p.ContainerPort), Is.EqualTo(new[] { PodSpecs.ImagePort }), $"{deployment.Metadata.Name}: the Dockerfile's EXPOSE");
                foreach (var (probe, path) in new[] { (container.StartupProbe, LivePath), (container.LivenessProbe, LivePath), (container.ReadinessProbe, ReadyPath) })
                {
                    Assert.That(probe?.HttpGet?.Path, Is.EqualTo(path), deployment.Metadata.Name);
                    Assert.That(PodSpecs.Resolve(container, probe?.HttpGet?.Port), Is.EqualTo(PodSpecs.ImagePort), $"{deployment.Metadata.Name} probes {path} on the app's port");
                }
            }
        });
    }

    [TestCaseSource(nameof(Sets))]
    public async Task EveryContainer_HasCpuAndMemoryRequestsAndLimits_RequestsNotAboveLimits(string name)
    {
        var set = await Manifests.GetAsync(name);

        Assert.Multiple(() =>
        {
            foreach (var (deployment, container) in set.Of<V1Deployment>().SelectMany(d => d.Spec.Template.Spec.Containers.Select(c => (d.Metadata.Name, c))))
            {
                foreach (var resource in new[] { "cpu", "memory" })
                {
                    var request = container.Resources?.Requests?.Get(resource);
                    var limit = container.Resources?.Limits?.Get(resource);
                    Assert.That(request is not null && limit is not null, Is.True, $"{deployment}: {resource} request and limit");
                    Assert.That(request?.ToDecimal() ?? 0, Is.LessThanOrEqualTo(limit?.ToDecimal() ?? 0), $"{deployment}: {resource}");
                }
            }
        });
    }

    [TestCaseSource(nameof(Sets))]
    public async Task Ingress_RoutesWsToLive_WithProxyTimeoutsAboveThePingInterval_AndTheRestToApiAndWeb(string name)
    {
        var set = await Manifests.GetAsync(name);
        var routes = set.Of<V1Ingress>().SelectMany(i => i.Spec.Rules.SelectMany(r => r.Http.Paths).Select(p => (Ingress: i, p.Path, p.PathType, Modules: Modules(set, p.Backend.Service.Name)))).ToArray();
        var ws = routes.Single(r => r.Path == "/ws");
        var rest = routes.Single(r => r.Path == "/");
        var live = set.AppDeployments().Single(d => PodSpecs.Role(d) == "live");
        var defaults = new LiveOptions();
        // The longest a healthy socket stays quiet: a ping, then up to the time-out for its pong; twice that, so that
        // one late pong on a busy node does not cost the socket.
        var quiet = PodSpecs.Duration(set, live, "Live:KeepAliveInterval", defaults.KeepAliveInterval)
            + PodSpecs.Duration(set, live, "Live:KeepAliveTimeout", defaults.KeepAliveTimeout);

        Assert.Multiple(() =>
        {
            Assert.That(ws.Modules, Is.EqualTo(new[] { "Live" }));
            Assert.That(rest is { PathType: "Prefix" } && rest.Modules.Contains("Api") && rest.Modules.Contains("Web"), Is.True, "/ goes to api+web");
            foreach (var timeout in new[] { "proxy-read-timeout", "proxy-send-timeout" })
            {
                var seconds = ws.Ingress.Metadata.Annotations?.Get($"nginx.ingress.kubernetes.io/{timeout}");
                Assert.That(seconds, Is.Not.Null, $"{timeout}: ingress-nginx's default of 60 s");
                Assert.That(TimeSpan.FromSeconds(int.Parse(seconds ?? "60", CultureInfo.InvariantCulture)), Is.GreaterThan(quiet * 2), timeout);
            }
        });
    }

    [TestCaseSource(nameof(Sets))]
    public async Task TerminationGrace_CoversPreStopAndTheRolesOwnDrain(string name)
    {
        var set = await Manifests.GetAsync(name);

        Assert.Multiple(() =>
        {
            foreach (var deployment in set.AppDeployments())
            {
                var drain = PodSpecs.Role(deployment) switch
                {
                    "answers" => PodSpecs.Duration(set, deployment, "Answers:ShutdownDrain", new AnswersOptions().ShutdownDrain),
                    "live" => PodSpecs.Duration(set, deployment, "Live:CloseTimeout", new LiveOptions().CloseTimeout),
                    _ => TimeSpan.Zero,
                };
                var preStop = TimeSpan.FromSeconds(PodSpecs.App(deployment).Lifecycle?.PreStop?.Sleep?.Seconds ?? 0);
                var grace = TimeSpan.FromSeconds(deployment.Spec.Template.Spec.TerminationGracePeriodSeconds ?? 30);
                // A margin for the host's own stop after the drain.
                Assert.That(grace, Is.GreaterThanOrEqualTo(preStop + drain + TimeSpan.FromSeconds(5)), deployment.Metadata.Name);
            }
        });
    }

    [TestCaseSource(nameof(Sets))]
    public async Task AppPods_RunAsNonRootOnAReadOnlyRoot_WithAWritableTmp_AndArePrometheusScraped(string name)
    {
        var set = await Manifests.GetAsync(name);

        Assert.Multiple(() =>
        {
            foreach (var deployment in set.AppDeployments())
            {
                var pod = deployment.Spec.Template.Spec;
                var container = PodSpecs.App(deployment);
                var tmp = container.VolumeMounts?.SingleOrDefault(m => m.MountPath == "/tmp");
                var annotations = deployment.Spec.Template.Metadata.Annotations ?? new Dictionary<string, string>();
                Assert.That(pod.SecurityContext?.RunAsNonRoot, Is.True, deployment.Metadata.Name);
                Assert.That(container.SecurityContext?.ReadOnlyRootFilesystem, Is.True, deployment.Metadata.Name);
                Assert.That(container.SecurityContext?.AllowPrivilegeEscalation, Is.False, deployment.Metadata.Name);
                Assert.That(pod.Volumes?.SingleOrDefault(v => v.Name == tmp?.Name)?.EmptyDir, Is.Not.Null, $"{deployment.Metadata.Name}: /tmp on an emptyDir");
                Assert.That(annotations.Get("prometheus.io/scrape"), Is.EqualTo("true"), deployment.Metadata.Name);
                Assert.That(annotations.Get("prometheus.io/port"), Is.EqualTo(PodSpecs.ImagePort.ToString(CultureInfo.InvariantCulture)), deployment.Metadata.Name);
                Assert.That(annotations.Get("prometheus.io/path"), Is.EqualTo("/metrics"), deployment.Metadata.Name);
            }
        });
    }

    private static string[] Modules(ManifestSet set, string service) =>
        [.. set.Selected(set.Of<V1Service>().Single(s => s.Metadata.Name == service).Spec.Selector).SelectMany(d => PodSpecs.EnabledModules(set, d)).Distinct()];
}
