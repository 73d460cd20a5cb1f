using System.Reflection;

namespace Kiln.Architecture.Tests;

/// <summary>Dependencies point one way (STYLE.md §1): Host → Services → Protocol/Model → Core.
/// The layers that must stay free of HTTP are checked by what their assemblies reference.</summary>
public sealed class DependencyTests
{
    private static readonly string[] s_httpFree = ["Kiln.Core", "Kiln.Storage", "Kiln.Model.Generated", "Kiln.Policy", "Kiln.ML"];

    public static TheoryData<string> HttpFreeAssemblies() => [.. s_httpFree];

    [Theory]
    [MemberData(nameof(HttpFreeAssemblies))]
    public void Assembly_ThatMustKnowNoHttp_ReferencesNeitherAspNetCoreNorProtocol(string name)
    {
        var references = Assembly.Load(name).GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.DoesNotContain("Kiln.Protocol", references);
        Assert.DoesNotContain("Kiln.Host", references);
    }

    [Fact]
    public void Core_ReferencesNoOtherKilnAssembly()
    {
        var references = Assembly.Load("Kiln.Core").GetReferencedAssemblies().Select(a => a.Name!);

        Assert.DoesNotContain(references, r => r.StartsWith("Kiln.", StringComparison.Ordinal));
    }

    [Fact]
    public void ML_ReferencesNothingElseInKiln()
    {
        var references = Assembly.Load("Kiln.ML").GetReferencedAssemblies().Select(a => a.Name!);

        Assert.DoesNotContain(references, r => r.StartsWith("Kiln.", StringComparison.Ordinal));
    }

    [Fact]
    public void Protocol_KnowsNoService()
    {
        var references = Assembly.Load("Kiln.Protocol").GetReferencedAssemblies().Select(a => a.Name!);

        Assert.DoesNotContain(references, r => r.StartsWith("Kiln.Services.", StringComparison.Ordinal));
        Assert.DoesNotContain("Kiln.Model.Generated", references);
        Assert.DoesNotContain("Kiln.Storage", references);
    }

    [Fact]
    public void DomainNamespaces_UseNoAspNetCoreOrProtocolTypes()
    {
        var kiln = typeof(Kiln.Host.KilnServer).Assembly.GetReferencedAssemblies()
            .Where(a => a.Name!.StartsWith("Kiln.Services.", StringComparison.Ordinal))
            .Select(Assembly.Load);
        foreach (var type in kiln.SelectMany(a => a.GetTypes()).Where(t => t.Namespace?.Contains(".Domain") == true))
        {
            var used = type.GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance |
                                       BindingFlags.Static | BindingFlags.DeclaredOnly)
                .SelectMany(TypesOf)
                .Append(type.BaseType)
                .Where(t => t?.Namespace is not null);
            Assert.DoesNotContain(used, t => t!.Namespace!.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) ||
                                             t.Namespace.StartsWith("Kiln.Protocol", StringComparison.Ordinal));
        }
    }

    private static IEnumerable<Type?> TypesOf(MemberInfo member) => member switch
    {
        FieldInfo f => [f.FieldType],
        PropertyInfo p => [p.PropertyType],
        MethodInfo m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType),
        ConstructorInfo c => c.GetParameters().Select(p => p.ParameterType),
        _ => [],
    };
}
