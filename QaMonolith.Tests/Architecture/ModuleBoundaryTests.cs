using NetArchTest.Rules;

namespace QaMonolith.Tests.Architecture;

/// <summary>
/// The rule that lets any module move to its own process: a module uses only Shared, never a sibling's types.
/// They talk through Redis streams and the shared schema instead. The check reads the compiled IL, so a sibling's
/// const (inlined by the compiler) slips through; every other use of a sibling's type fails it (checked by adding
/// a typeof(Api.PageCache) to Live).
/// </summary>
public sealed class ModuleBoundaryTests
{
    private static readonly string[] Modules = ["Api", "Answers", "Live", "Web"];

    [TestCaseSource(nameof(Modules))]
    public void Module_UsesNoSiblingModule(string module)
    {
        var siblings = Modules.Where(m => m != module).Select(m => $"QaMonolith.{m}").ToArray();

        var result = Types.InAssembly(typeof(QaMonolith.Shared.ModulesOptions).Assembly)
            .That().ResideInNamespace($"QaMonolith.{module}")
            .ShouldNot().HaveDependencyOnAny(siblings)
            .GetResult();

        Assert.That(result.FailingTypeNames ?? [], Is.Empty, $"{module} uses types of {string.Join(", ", siblings)}");
    }

    [Test]
    public void Shared_UsesNoModule()
    {
        var result = Types.InAssembly(typeof(QaMonolith.Shared.ModulesOptions).Assembly)
            .That().ResideInNamespace("QaMonolith.Shared")
            .ShouldNot().HaveDependencyOnAny([.. Modules.Select(m => $"QaMonolith.{m}")])
            .GetResult();

        Assert.That(result.FailingTypeNames ?? [], Is.Empty);
    }

    [Test]
    public void EveryModuleNamespace_HasTypes()
    {
        // Guards the rules above against passing vacuously after a rename.
        var namespaces = typeof(QaMonolith.Shared.ModulesOptions).Assembly.GetTypes().Select(t => t.Namespace ?? "").ToHashSet();
        foreach (var module in Modules)
        {
            Assert.That(namespaces.Any(n => n == $"QaMonolith.{module}" || n.StartsWith($"QaMonolith.{module}.", StringComparison.Ordinal)), Is.True, module);
        }
    }
}
