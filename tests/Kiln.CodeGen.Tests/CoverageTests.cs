using Kiln.CodeGen.Model;
using Kiln.Model;

namespace Kiln.CodeGen.Tests;

public class CoverageTests
{
    [RequiresModelsFact]
    public void ListedOperations_AllGenerated_WithInputWhenModelHasOne()
    {
        var options = TestPaths.DefaultOptions;
        var coverage = Coverage.Load(options.CoverageFile, options.AlsoTypedFile);
        Assert.Equal(coverage.Select(c => c.ServiceId), GeneratedServices.ServiceIds);
        foreach (var entry in coverage)
        {
            Assert.True(GeneratedServices.TryGet(entry.ServiceId, out var service), entry.ServiceId);
            var model = ModelLoader.Load(options.ModelsDir, entry.ServiceId);
            Assert.Equal(model.Operations.Count, service.Operations.Count);
            if (entry.Protocol is not null)
            {
                Assert.Equal(entry.Protocol, service.Protocol);
            }

            foreach (var name in entry.Operations)
            {
                var op = service.Operations[name];
                var modelOp = model.Operations.Single(o => o.Name == name);
                Assert.Equal(modelOp.InputShape, op.Input?.Name);
                Assert.Equal(modelOp.OutputShape, op.Output?.Name);
                Assert.Equal(modelOp.Errors.Count, op.Errors.Length);
            }
        }
    }

    [Fact]
    public void GeneratedServices_ById_MatchesTryGet()
    {
        Assert.Equal(22, GeneratedServices.All.Count);
        foreach (var id in GeneratedServices.ServiceIds)
        {
            Assert.True(GeneratedServices.TryGet(id, out var service));
            Assert.Same(service, GeneratedServices.ById[id]);
        }

        Assert.False(GeneratedServices.TryGet("nope", out _));
    }

    [Fact]
    public void JsonServices_HaveTargetPrefixAndVersion()
    {
        foreach (var service in GeneratedServices.All.Where(s => s.Protocol == "json"))
        {
            Assert.False(string.IsNullOrEmpty(service.TargetPrefix), service.ServiceId);
            Assert.Contains(service.JsonVersion, new[] { "1.0", "1.1" });
        }

        Assert.Equal("Kinesis_20131202", Kiln.Model.Kinesis.KinesisModel.Service.TargetPrefix);
        Assert.Equal("1.0", Kiln.Model.StepFunctions.StepFunctionsModel.Service.JsonVersion);
        Assert.Equal("api.sagemaker", Kiln.Model.SageMaker.SageMakerModel.Service.EndpointPrefix);
        Assert.Equal("sagemaker", Kiln.Model.SageMaker.SageMakerModel.Service.SigningName);
    }

    [Fact]
    public void QueryServices_AllHaveXmlNamespace()
    {
        foreach (var service in GeneratedServices.All.Where(s => s.Protocol == "query"))
        {
            Assert.StartsWith("http", service.XmlNamespace);
            Assert.EndsWith($"/doc/{service.ApiVersion}/", service.XmlNamespace);
        }
    }
}
