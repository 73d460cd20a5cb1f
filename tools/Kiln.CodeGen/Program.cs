using System.Diagnostics;
using Kiln.CodeGen;

// Usage, from the repo root:
//   dotnet run --project tools/Kiln.CodeGen -- [--models DIR] [--coverage FILE] [--out DIR]
try
{
    var options = GeneratorOptions.Parse(args, Directory.GetCurrentDirectory());
    var clock = Stopwatch.StartNew();
    var result = Generator.Generate(options);
    var (written, unchanged, deleted) = Generator.Write(result, options.OutDir);
    foreach (var plan in result.Plans)
    {
        Console.WriteLine($"{plan.ServiceId,-32} {plan.ListedOperations.Count,4} listed / {plan.Model.Operations.Count,4} ops, "
            + $"{plan.Classes.Count,4} classes, {plan.Nodes.Count,5} shapes, {plan.Errors.Count,3} errors");
        foreach (var note in plan.Notes)
        {
            Console.WriteLine($"    note: {note}");
        }
    }

    Console.WriteLine($"botocore {result.BotocoreVersion}: {result.Files.Count} files ({written} written, {unchanged} unchanged, "
        + $"{deleted} stale deleted) in {options.OutDir} [{clock.ElapsedMilliseconds} ms]");
    return 0;
}
catch (Exception e) when (e is InvalidDataException or ArgumentException or IOException)
{
    Console.Error.WriteLine($"Kiln.CodeGen: {e.Message}");
    return 1;
}
