using Kiln.Core.Shapes;
using Kiln.Model;

namespace Kiln.Protocol.Tests.Codecs;

/// <summary>The botocore fixture round trips again, on the generated models (Kiln.Model.Generated):
/// real generated classes behind <see cref="MemberInfo"/>, the generator's reading of every trait.
/// Cases whose service or shapes the generator does not emit are left to the botocore-built models.</summary>
public sealed class GeneratedModelTests
{
    private static readonly Lazy<Task<Dictionary<string, (System.Text.Json.Nodes.JsonObject, System.Text.Json.Nodes.JsonObject)>>> Results =
        new(() => BotocoreResponseTests.RunAllAsync(Generated));

    private static ServiceInfo? Generated(string serviceId) =>
        GeneratedServices.TryGet(serviceId, out var service) ? service : null;

    /// <summary>Fixtures whose operation the generated model carries with its input shape.</summary>
    public static TheoryData<string> RequestNames() =>
    [
        .. BotocoreRequestTests.Fixtures.Value
            .Where(f => Generated((string)f.Value["service"]!) is { } s
                && s.Operations.TryGetValue((string)f.Value["operation"]!, out var op)
                && (op.Input is not null || BotocoreModel.Load(s.ServiceId).Operations[op.Name].Input is null))
            .Select(f => f.Key),
    ];

    public static TheoryData<string> ResponseNames() =>
    [
        .. BotocoreResponseTests.Cases.Value
            .Where(f => Generated((string)f.Value["service"]!) is { } s
                && s.Operations.TryGetValue((string)f.Value["operation"]!, out var op)
                && (f.Value["output"] is null || op.Output is not null || BotocoreModel.Load(s.ServiceId).Operations[op.Name].Output is null))
            .Select(f => f.Key),
    ];

    [Fact]
    public void GeneratedModels_CoverMostFixtures()
    {
        Assert.True(RequestNames().Count >= 50, $"only {RequestNames().Count} request fixtures run on generated models");
        Assert.True(ResponseNames().Count >= 45, $"only {ResponseNames().Count} response cases run on generated models");
    }

    [Theory]
    [MemberData(nameof(RequestNames))]
    public void GeneratedModel_BotocoreRequest_ParsesBackToItsParameters(string name) =>
        BotocoreRequestTests.Check(name, Generated((string)BotocoreRequestTests.Fixtures.Value[name]["service"]!)!);

    [Theory]
    [MemberData(nameof(ResponseNames))]
    public async Task GeneratedModel_KilnResponse_BotocoreParsesWhatWasWrittenAsync(string name) =>
        BotocoreResponseTests.Verify(name, (await Results.Value)[name],
            Generated((string)BotocoreResponseTests.Cases.Value[name]["service"]!)!);

    /// <summary>The generated rest models have botocore's HTTP bindings, and every operation routes
    /// back to itself through them (the routing tests' check, on the generated operation tables).</summary>
    [Theory]
    [InlineData("s3")]
    [InlineData("s3control")]
    [InlineData("lambda")]
    [InlineData("sagemaker-runtime")]
    [InlineData("sagemaker-featurestore-runtime")]
    [InlineData("databrew")]
    public void GeneratedModel_EveryOperation_RoutesBackToItself(string serviceId)
    {
        var generated = Generated(serviceId)!;
        var reference = BotocoreModel.Load(serviceId);
        Assert.Equal(reference.Operations.Keys.Order(), generated.Operations.Keys.Order());
        foreach (var op in generated.Operations.Values)
        {
            var other = reference.Operations[op.Name];
            Assert.Equal(other.HttpMethod, op.HttpMethod);
            Assert.Equal(other.RequestUri, op.RequestUri);
        }

        var failures = Routing.RestRouteTableTests.RoundTripFailures(generated, tolerateMissingInputs: true);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
