using System;
using System.Text;

namespace GradGen.Generators;

/// <summary>An indented text writer. <see cref="Block"/> opens a brace and returns a scope that closes it.</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public void Line(string line = "")
    {
        if (line.Length > 0) _text.Append(' ', _indent * 4).Append(line);
        _text.Append('\n'); // '\n' on every platform, so that golden files compare byte for byte
    }

    public Scope Block(string header)
    {
        Line(header);
        Line("{");
        _indent++;
        return new Scope(this);
    }

    /// <summary>Appends text written by another writer, as it is.</summary>
    public void Raw(string text) => _text.Append(text);

    public void Indent() => _indent++;

    public void Outdent() => _indent--;

    public override string ToString() => _text.ToString();

    public readonly struct Scope(CodeWriter writer) : IDisposable
    {
        public void Dispose()
        {
            writer._indent--;
            writer.Line("}");
        }
    }
}
