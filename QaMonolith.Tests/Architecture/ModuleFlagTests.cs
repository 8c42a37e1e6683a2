using System.Net;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Architecture;

/// <summary>
/// A module switched off leaves no trace in the process: none of its services, hosted services or options
/// (validation included), none of its routes. Each case runs one module alone, the way a pod of one role does.
/// </summary>
public sealed class ModuleFlagTests
{
    private static readonly string[] Modules = ["Api", "Answers", "Live", "Web"];

    /// <summary>Routes only that module maps; /health and the other Shared routes are everyone's.</summary>
    private static readonly Dictionary<string, string[]> Routes = new()
    {
        ["Api"] = ["/api/"],
        ["Answers"] = [],
        ["Live"] = ["/ws", "/live/"],
        ["Web"] = ["/courses/", "/questions/"],
    };

    [TestCaseSource(nameof(Modules))]
    public async Task OnlyOneModuleEnabled_RegistersNothingOfTheOthers(string module)
    {
        await using var app = await QaApp.StartAsync(Modules.ToDictionary(m => $"Modules:{m}", m => (string?)(m == module ? "true" : "false")));
        var disabled = Modules.Where(m => m != module).Select(m => $"QaMonolith.{m}").ToArray();

        var foreign = app.Registrations.Where(d => TypesOf(d).Any(t => disabled.Any(ns => t.Namespace?.StartsWith(ns, StringComparison.Ordinal) == true)))
            .Select(d => d.ToString()).ToList();
        Assert.That(foreign, Is.Empty, "services of disabled modules are registered");
        var routes = app.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Select(e => "/" + e.RoutePattern.RawText?.TrimStart('/')).ToList();
        var foreignRoutes = routes.Where(r => Modules.Where(m => m != module).SelectMany(m => Routes[m]).Any(r.StartsWith)).ToList();
        Assert.That(foreignRoutes, Is.Empty, "routes of disabled modules are mapped");
        // And the module itself is there: its services, or its routes (Web only maps pages).
        Assert.That(app.Registrations.Any(d => TypesOf(d).Any(t => t.Namespace == $"QaMonolith.{module}")) || routes.Any(r => Routes[module].Any(r.StartsWith)),
            $"{module} left no trace either: the check would pass for anything");
        Assert.That(routes.Any(r => r.StartsWith("/health", StringComparison.Ordinal)), "every process reports its health");

        using var client = app.CreateClient();
        Assert.That((await client.GetAsync("/health/ready")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await client.GetAsync("/api/courses")).StatusCode, Is.EqualTo(module == "Api" ? HttpStatusCode.OK : HttpStatusCode.NotFound));
    }

    /// <summary>The types a registration names: service, implementation, their generic arguments, and a factory's declaring type.</summary>
    private static IEnumerable<Type> TypesOf(ServiceDescriptor descriptor)
    {
        var roots = new List<Type?> { descriptor.ServiceType };
        if (descriptor.IsKeyedService)
        {
            roots.Add(descriptor.KeyedImplementationType);
            roots.Add(descriptor.KeyedImplementationInstance?.GetType());
            roots.Add(descriptor.KeyedImplementationFactory?.Method.DeclaringType);
        }
        else
        {
            roots.Add(descriptor.ImplementationType);
            roots.Add(descriptor.ImplementationInstance?.GetType());
            roots.Add(descriptor.ImplementationFactory?.Method.DeclaringType);
        }

        return roots.OfType<Type>().SelectMany(Expand);

        // Open generics (IConfigureOptions<>) name parameters, not types; a closure's outer class is its module's.
        static IEnumerable<Type> Expand(Type type) => type.IsGenericParameter
            ? []
            : [type, .. type.GetGenericArguments().SelectMany(Expand), .. type is { IsNested: true, DeclaringType: { } outer } ? Expand(outer) : []];
    }
}
