// LayerException: the error LayerUnpacker throws for any problem with a layer (corrupt data,
// wrong diff id, hostile entry, failing system call).
//
// Why: the store deletes the half-written directory and reports Message; so each message is one
// complete line naming the layer, the entry and the errno when there is one, e.g.
//   unpack layer sha256:ab12...: entry "../etc/passwd" escapes the layer directory
// Follows: the project's error-message convention (operation, operands, errno).
namespace MiniImage.Layers;

public sealed class LayerException : Exception
{
    public LayerException(string message) : base(message) { }
    public LayerException(string message, Exception inner) : base(message, inner) { }
}
