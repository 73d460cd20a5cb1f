using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;
using Kiln.Core.Shapes;
using Xunit.Abstractions;

namespace Kiln.CodeGen.Tests;

[CollectionDefinition(nameof(ServiceBuildTimeTests), DisableParallelization = true)]
public sealed class ServiceBuildTimeCollection;

// Runs alone so other tests do not share the two cores while it measures.
[Collection(nameof(ServiceBuildTimeTests))]
public class ServiceBuildTimeTests(ITestOutputHelper output)
{
    /// <summary>Builds every service from a fresh copy of Kiln.Model.Generated loaded into its own
    /// AssemblyLoadContext, so the time is cold (statics and JIT) whatever other tests ran first.
    /// The context is not collectible: delegates over collectible code are slower to create and would
    /// overstate the time. Reported, not asserted (STYLE.md section 11).</summary>
    [Fact]
    public void AllServices_ColdBuild_ReportsTime()
    {
        var path = typeof(Kiln.Model.GeneratedServices).Assembly.Location;
        var context = new AssemblyLoadContext("cold-model", isCollectible: false);
        var assembly = context.LoadFromAssemblyPath(path);
        var type = assembly.GetType("Kiln.Model.GeneratedServices", throwOnError: true)!;
        var ids = (IReadOnlyList<string>)type.GetProperty("ServiceIds")!.GetValue(null)!;
        var tryGet = type.GetMethod("TryGet")!;

        var total = Stopwatch.StartNew();
        var times = new List<(string Id, double Ms, int Operations)>();
        foreach (var id in ids)
        {
            var clock = Stopwatch.StartNew();
            object?[] args = [id, null];
            Assert.True((bool)tryGet.Invoke(null, args)!);
            var service = (ServiceInfo)args[1]!;
            times.Add((id, clock.Elapsed.TotalMilliseconds, service.Operations.Count));
        }

        output.WriteLine($"built {ids.Count} ServiceInfo objects in {total.Elapsed.TotalMilliseconds:F0} ms (cold: first load, JIT, statics)");
        foreach (var (id, ms, operations) in times.OrderByDescending(t => t.Ms))
        {
            output.WriteLine($"  {id,-32} {ms,7:F1} ms  {operations,4} operations");
        }

        var all = (IReadOnlyList<ServiceInfo>)type.GetProperty("All")!.GetValue(null)!;
        Assert.Equal(ids.Count, all.Count);
        Assert.NotSame(Kiln.Model.S3.S3Model.Service, all.Single(s => s.ServiceId == "s3"));
    }
}
