// Entry point of the `minirun` executable (placeholder while the CLI is written).
namespace MiniRun;

public static class Program
{
    public static int Main(string[] args) => 0;
}
