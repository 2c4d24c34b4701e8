// MiniImageException: the one exception type MiniImage throws for failures a user can act on
// (bad reference, corrupt or missing blob, unknown image, broken store).
//
// Why: the CLI prints Message as-is and exits non-zero, so every message is one complete line that
// names the operation and its operands (house rule), e.g.
//   load /tmp/x.tar: blob sha256:ab12... has digest sha256:cd34...
// Follows: no spec; the project's error-message convention (operation, operands, errno).
namespace MiniImage;

public class MiniImageException : Exception
{
    public MiniImageException(string message) : base(message) { }
    public MiniImageException(string message, Exception? inner) : base(message, inner) { }
}
