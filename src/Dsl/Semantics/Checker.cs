using System.Collections.Generic;
using CnnDsl.Dsl.Diagnostics;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Syntax;
using CnnDsl.Dsl.Text;

namespace CnnDsl.Dsl.Semantics;

internal sealed class Checker
{
    public Checker(string path, SourceText source, FileSyntax file, List<CnnDiagnostic> diagnostics) { }

    public List<NetworkModel> Check() => new();
}
