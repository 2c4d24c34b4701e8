// PublishedRegistry: xunit class fixture: an open RegistryServer holding TestImages' standard set
// (busybox, busybox-docker, three, multi, zstd, plain), shared by the tests of one class.
//
// Why: starting the registry and pushing takes about a second; the tests of a class only read
// from it, so they share one. Tests that damage the registry (corrupt a blob, stop it) start
// their own. Dispose stops the registry it started and removes the layouts it built.
// Follows: xunit IClassFixture.
namespace MiniRun.Tests.Registry;

public sealed class PublishedRegistry : IDisposable
{
    public TestImages Images { get; }
    public RegistryServer Registry { get; }
    public string Host => Registry.Host;

    public PublishedRegistry()
    {
        Images = new TestImages();
        try
        {
            Registry = new RegistryServer();
            Images.PublishAll(Registry);
        }
        catch
        {
            Registry?.Dispose();
            Images.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Registry.Dispose();
        Images.Dispose();
    }
}
