using System;
using System.Text;

namespace CnnDsl.Generator.Emit;

/// <summary>An indented text writer for generated C#: four spaces per level, '\n' line ends.</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public void WriteLine()
    {
        _text.Append('\n');
    }

    public void WriteLine(string line)
    {
        if (line.Length > 0) _text.Append(' ', 4 * _indent).Append(line);
        _text.Append('\n');
    }

    /// <summary>Writes <c>{</c>, indents until the returned scope is disposed, then writes <c>}</c> (+ <paramref name="closeSuffix"/>).</summary>
    public Scope Block(string closeSuffix = "")
    {
        WriteLine("{");
        _indent++;
        return new Scope(this, closeSuffix);
    }

    public override string ToString() => _text.ToString();

    public readonly struct Scope : IDisposable
    {
        private readonly CodeWriter _writer;
        private readonly string _closeSuffix;

        public Scope(CodeWriter writer, string closeSuffix)
        {
            _writer = writer;
            _closeSuffix = closeSuffix;
        }

        public void Dispose()
        {
            _writer._indent--;
            _writer.WriteLine("}" + _closeSuffix);
        }
    }
}
