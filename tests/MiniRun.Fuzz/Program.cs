// MiniRun.Fuzz: the fuzzing executable. `MiniRun.Fuzz TARGET` under afl-fuzz runs SharpFuzz's
// in-process fork server (persistent mode) on that target; `MiniRun.Fuzz TARGET FILE...` replays
// files through it and prints each outcome; `MiniRun.Fuzz --list` prints the target names.
//
// Why one executable: run-fuzz.sh instruments one output directory once and starts afl-fuzz per
// target; the xunit replay (MiniRun.Tests/Fuzz/FuzzCorpusTests.cs) calls the same FuzzTargets.Run.
// Follows: SharpFuzz 2.x README (Fuzzer.Run with afl-fuzz, AFL_SKIP_BIN_CHECK); docs/fuzzing.md.
using MiniRun.Fuzz;

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: MiniRun.Fuzz TARGET [FILE...] | --list");
    return 2;
}
if (args[0] == "--list")
{
    foreach (var name in FuzzTargets.Names) Console.WriteLine(name);
    return 0;
}
if (!FuzzTargets.Names.Contains(args[0]))
{
    Console.Error.WriteLine($"MiniRun.Fuzz: unknown target \"{args[0]}\" (--list names them)");
    return 2;
}
string target = args[0];
if (args.Length > 1)
{
    int failed = 0;
    foreach (var file in args[1..])
    {
        try { FuzzTargets.Run(target, File.ReadAllBytes(file)); Console.WriteLine($"ok   {file}"); }
        catch (Exception e) { failed++; Console.WriteLine($"FAIL {file}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}"); }
    }
    return failed == 0 ? 0 : 1;
}
// Under afl-fuzz: one process runs many inputs; an exception escaping Run is reported as a crash.
SharpFuzz.Fuzzer.Run(stream =>
{
    var ms = new MemoryStream();
    stream.CopyTo(ms);
    FuzzTargets.Run(target, ms.ToArray());
});
return 0;
