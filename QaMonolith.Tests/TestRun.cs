using QaMonolith.Tests.Infrastructure;

/// <summary>Outside any namespace, so it wraps every test in the assembly: the shared servers live for the whole run.</summary>
[SetUpFixture]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1050", Justification = "NUnit applies a SetUpFixture to its namespace; the global one covers every test.")]
public sealed class TestRun
{
    [OneTimeSetUp]
    public Task StartServersAsync() => Servers.StartAsync();

    [OneTimeTearDown]
    public Task StopServersAsync() => Servers.StopAsync();
}
