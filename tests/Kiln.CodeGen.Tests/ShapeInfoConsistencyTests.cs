using System.Collections;
using Kiln.Core.Errors;
using Kiln.Core.Shapes;
using Kiln.Model;

namespace Kiln.CodeGen.Tests;

/// <summary>Walks every ShapeInfo of every generated service and checks that the metadata and the
/// generated classes agree: what a codec would store through a member's Set comes back from Get,
/// and collections accept elements of their declared shape.</summary>
public class ShapeInfoConsistencyTests
{
    public static TheoryData<string> ServiceIds => [.. GeneratedServices.ServiceIds];

    [Theory]
    [MemberData(nameof(ServiceIds))]
    public void EveryShape_IsLinkedAndAccessorsRoundTrip(string serviceId)
    {
        Assert.True(GeneratedServices.TryGet(serviceId, out var service));
        var shapes = AllShapes(service);
        Assert.NotEmpty(shapes);
        foreach (var shape in shapes)
        {
            switch (shape.Type)
            {
                case ShapeType.List:
                    Assert.NotNull(shape.Member);
                    var list = shape.CreateList!();
                    list.Add(Sample(shape.Member!.Shape));
                    Assert.Single(list);
                    break;
                case ShapeType.Map:
                    Assert.Equal(ShapeType.String, shape.Key!.Shape.Type);
                    var map = shape.CreateMap!();
                    map["k"] = Sample(shape.Value!.Shape);
                    Assert.Single(map);
                    break;
                case ShapeType.Structure when shape.Error is not null:
                    Assert.Null(shape.Create);
                    var error = new AwsException(shape.Error.Code, "boom");
                    foreach (var member in shape.Members)
                    {
                        member.Set(error, "v");
                        Assert.Equal("v", member.Get(error));
                    }

                    break;
                case ShapeType.Structure:
                    CheckStructure(shape);
                    break;
            }
        }
    }

    [Theory]
    [MemberData(nameof(ServiceIds))]
    public void Operations_ShapesBelongToListedOperations(string serviceId)
    {
        Assert.True(GeneratedServices.TryGet(serviceId, out var service));
        Assert.All(service.Operations, pair =>
        {
            Assert.Equal(pair.Key, pair.Value.Name);
            Assert.Same(service, pair.Value.Service);
            Assert.StartsWith("/", pair.Value.RequestUri);
            Assert.All(pair.Value.Errors, e => Assert.NotNull(e.Error));
        });
        Assert.All(service.ErrorShapes, pair => Assert.Equal(pair.Key, pair.Value.Error!.Code));
    }

    private static void CheckStructure(ShapeInfo shape)
    {
        if (shape.IsDocument)
        {
            return;
        }

        Assert.NotNull(shape.Create);
        var instance = shape.Create!();
        Assert.Equal(shape.Name, instance.GetType().Name.TrimEnd('_'));
        if (shape.Payload is not null)
        {
            Assert.NotNull(shape.FindMember(shape.Payload));
        }

        foreach (var member in shape.Members)
        {
            Assert.Null(member.Get(instance));
            var value = Sample(member.Shape);
            member.Set(instance, value);
            var read = member.Get(instance);
            if (value.GetType().IsValueType)
            {
                Assert.Equal(value, read);
            }
            else
            {
                Assert.Same(value, read);
            }

            member.Set(instance, null);
            Assert.Null(member.Get(instance));
        }
    }

    /// <summary>A value of the CLR type ShapeType documents for this shape.</summary>
    private static object Sample(ShapeInfo shape) => shape.Type switch
    {
        ShapeType.Structure when shape.IsDocument => new object(),
        ShapeType.Structure when shape.Error is not null => new AwsException(shape.Error.Code, "boom"),
        ShapeType.Structure => shape.Create!(),
        ShapeType.List => shape.CreateList!(),
        ShapeType.Map => shape.CreateMap!(),
        ShapeType.String => "s",
        ShapeType.Integer => 1,
        ShapeType.Long => 1L,
        ShapeType.Float => 1f,
        ShapeType.Double => 1d,
        ShapeType.Boolean => true,
        ShapeType.Timestamp => DateTimeOffset.UnixEpoch,
        ShapeType.Blob => shape.Streaming ? new MemoryStream() : new byte[] { 1 },
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    private static List<ShapeInfo> AllShapes(ServiceInfo service)
    {
        var seen = new HashSet<ShapeInfo>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<ShapeInfo>();
        foreach (var op in service.Operations.Values)
        {
            foreach (var shape in new[] { op.Input, op.Output }.OfType<ShapeInfo>().Concat(op.Errors))
            {
                pending.Push(shape);
            }
        }

        foreach (var shape in service.ErrorShapes.Values)
        {
            pending.Push(shape);
        }

        while (pending.TryPop(out var shape))
        {
            if (!seen.Add(shape))
            {
                continue;
            }

            foreach (var next in shape.Members.Select(m => m.Shape)
                .Concat(new[] { shape.Member, shape.Key, shape.Value }.OfType<ShapeRef>().Select(r => r.Shape)))
            {
                Assert.NotNull(next);
                pending.Push(next);
            }
        }

        return [.. seen];
    }
}
