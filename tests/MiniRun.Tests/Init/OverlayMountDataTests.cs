// OverlayMountDataTests: the overlay mount data fits the kernel's one page for 125 layers under a
// long root: absolute while it fits, then the layers' short links relative to their directory,
// which init makes its working directory for the mount alone (Init/RootfsSteps.cs).
using MiniRun.Init;
using MiniRun.Kernel;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Tests.Init;

public sealed class OverlayMountDataTests
{
    // A 150-character MiniRun root, as the integration test uses.
    private static readonly string Root = "/tmp/" + new string('r', 145);
    private static readonly string Links = Root + "/l";
    private static readonly string Bundle = Root + "/containers/" + new string('c', 64);

    private static List<string> ShortLinks(int count) =>
        Enumerable.Range(0, count).Select(i => $"{Links}/{i:x12}").Reverse().ToList();

    private static List<string> LayerDirs(int count) =>
        Enumerable.Range(0, count).Select(i => $"{Root}/layers/{i:x64}").Reverse().ToList();

    [Fact]
    public void FewLayers_AbsolutePaths()
    {
        var form = RootfsSteps.OverlayMountData(ShortLinks(3), Bundle + "/upper", Bundle + "/work");
        Assert.Null(form.Cwd);
        Assert.Equal($"lowerdir={Links}/{2:x12}:{Links}/{1:x12}:{Links}/{0:x12},upperdir={Bundle}/upper,workdir={Bundle}/work", form.Data);
    }

    [Fact]
    public void HundredTwentyFiveLayers_LongRoot_RelativeToTheLinkDirectory_UnderAPage()
    {
        var lowers = ShortLinks(125);
        Assert.True(RootfsSteps.OverlayData(lowers, Bundle + "/upper", Bundle + "/work").Length > 4095, "the absolute form must not fit, or this tests nothing");
        var form = RootfsSteps.OverlayMountData(lowers, Bundle + "/upper", Bundle + "/work", ",volatile".Length);
        Assert.Equal(Links, form.Cwd);
        Assert.True(form.Data.Length + ",volatile".Length < RootfsSteps.PageSize, $"{form.Data.Length} bytes");
        Assert.StartsWith($"lowerdir={124:x12}:{123:x12}:", form.Data);
        Assert.EndsWith($":{0:x12},upperdir={Bundle}/upper,workdir={Bundle}/work", form.Data);
    }

    [Fact]
    public void UpperAndWorkRelativeToo_WhenTheirAbsolutePathsDoNotFit()
    {
        // A root of ~1500 characters: 125 names fit, the absolute upper and work dirs do not.
        string root = "/tmp/" + string.Join('/', Enumerable.Repeat(new string('d', 249), 6));
        string links = root + "/l", bundle = root + "/containers/" + new string('c', 64);
        var lowers = Enumerable.Range(0, 125).Select(i => $"{links}/{i:x12}").ToList();
        var form = RootfsSteps.OverlayMountData(lowers, bundle + "/upper", bundle + "/work");
        Assert.Equal(links, form.Cwd);
        Assert.EndsWith($",upperdir=../containers/{new string('c', 64)}/upper,workdir=../containers/{new string('c', 64)}/work", form.Data);
        Assert.True(form.Data.Length < RootfsSteps.PageSize);
    }

    [Fact]
    public void TooLongAndNoCommonDirectory_RefusedBeforeMounting()
    {
        var lowers = LayerDirs(125).Select((d, i) => i % 2 == 0 ? d : d.Replace("/layers/", "/other/")).ToList();
        var e = Assert.Throws<MiniRun.Runtime.RuntimeException>(() => RootfsSteps.OverlayMountData(lowers, Bundle + "/upper", Bundle + "/work"));
        Assert.Contains("125 layers", e.Message);
        Assert.Contains("more than a page", e.Message);
    }

    [Fact]
    public void MountOverlay_ChdirIntoTheLinkDirectory_MountsRelative_ThenReturns()
    {
        var k = new FakeKernel { Cwd = "/run/bundle" };
        var overlay = new SpecOverlay { LowerDirs = ShortLinks(125), UpperDir = Bundle + "/upper", WorkDir = Bundle + "/work", Volatile = true };
        RootfsSteps.MountOverlay(k, NullTrace.Instance, overlay, Bundle + "/rootfs", nodev: false);
        Assert.Equal(3, k.Calls.Count);
        Assert.Equal($"chdir {Links}", k.Calls[0]);
        Assert.StartsWith($"mount overlay {Bundle}/rootfs overlay 0 lowerdir={124:x12}:", k.Calls[1]);
        Assert.EndsWith(",volatile", k.Calls[1]);
        Assert.Equal("chdir /run/bundle", k.Calls[2]);
    }

    [Fact]
    public void MountOverlay_ReturnsToTheWorkingDirectoryEvenWhenTheMountFails()
    {
        var k = new FakeKernel { Cwd = "/run/bundle", FailOn = "mount overlay", FailErrno = Errno.ENOENT };
        var overlay = new SpecOverlay { LowerDirs = ShortLinks(60), UpperDir = Bundle + "/upper", WorkDir = Bundle + "/work" };
        Assert.Throws<KernelException>(() => RootfsSteps.MountOverlay(k, NullTrace.Instance, overlay, Bundle + "/rootfs", nodev: false));
        Assert.Equal("chdir /run/bundle", k.Calls[^1]);
    }
}
