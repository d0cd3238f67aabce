using System;
using System.Collections.Immutable;
using System.Threading;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Planning;
using CnnDsl.Generator.Model;

namespace CnnDsl.Generator.Emit;

/// <summary>Runs every emitter on one network; an emitter that throws becomes an error value, not a crash.</summary>
internal static class NetworkEmitter
{
    public static EmittedNetwork Emit(PlannedNetwork planned, string path, GeneratorSettings settings, ImmutableArray<ModelEmitter> emitters, CancellationToken ct)
    {
        var network = planned.Network;
        string fullName = Names.FullName(network, settings);
        string hintBase = Names.HintBase(path, fullName);
        var files = new EmittedFile[emitters.Length];
        for (int i = 0; i < emitters.Length; i++)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                files[i] = new EmittedFile(emitters[i].Suffix, emitters[i].Emit(planned, settings));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                string part = emitters[i].Suffix.Length == 0 ? "contract" : emitters[i].Suffix;
                return new EmittedNetwork(fullName, hintBase, path, EquatableArray<EmittedFile>.Empty,
                    $"the CnnDsl generator failed while emitting the {part} part of network '{network.Name}' ({ex.GetType().Name}: {ex.Message}); please report it with the file");
            }
        }
        return new EmittedNetwork(fullName, hintBase, path, new EquatableArray<EmittedFile>(files), null);
    }
}
