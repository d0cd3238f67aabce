using System;
using System.Collections.Immutable;
using CnnDsl.Dsl.Planning;
using CnnDsl.Generator.Emit.Cpu;
using CnnDsl.Generator.Emit.Gpu;
using CnnDsl.Generator.Model;

namespace CnnDsl.Generator.Emit;

/// <summary>
/// One generated file per network per emitter: <paramref name="Suffix"/> names the file
/// (<c>{hint}.g.cs</c> for "", <c>{hint}.{Suffix}.g.cs</c> otherwise) and <paramref name="Emit"/>
/// writes a <c>public sealed partial class</c> part for the network.
/// </summary>
internal readonly record struct ModelEmitter(string Suffix, Func<PlannedNetwork, GeneratorSettings, string> Emit);

/// <summary>
/// The emitters the generator runs, in order. To add a part of the model class, add a line.
/// Each part must declare the class in the namespace <see cref="Names.Namespace"/> gives, with
/// <c>public sealed partial class</c>; only the contract part carries class-level attributes
/// (<c>[GeneratedCode]</c> allows one use per class) and the class doc comment.
/// </summary>
internal static class ModelEmitters
{
    public static ImmutableArray<ModelEmitter> All { get; } = ImmutableArray.Create(
        new ModelEmitter("", ContractEmitter.Emit),
        new ModelEmitter("Compute", CpuModelEmitter.Emit),
        new ModelEmitter("Gpu", GpuModelEmitter.Emit)
    );
}
