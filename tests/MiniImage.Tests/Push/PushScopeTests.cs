// PushScopeTests: the token scope a push asks for. The operation's own scope
// ("repository:NAME:pull,push", plus "repository:FROM:pull" for a mount) is kept when a challenge
// names less (a HEAD answered 401 asks only for pull), and what a challenge adds is appended.
//
// Why: a push token fetched with the challenge's scope alone would lack push, and every upload
// after the HEAD would be refused once more before the right token is fetched.
// Follows: distribution spec/auth/scope.md (resource type, name, comma-separated actions;
// several scopes separated by spaces).
using MiniImage.Registry;

namespace MiniImage.Tests.Push;

public sealed class PushScopeTests
{
    [Theory]
    [InlineData("repository:a/b:pull,push", "repository:a/b:pull", "repository:a/b:pull,push")]
    [InlineData("repository:a/b:pull,push", null, "repository:a/b:pull,push")]
    [InlineData("repository:a/b:pull,push", "repository:a/b:push,pull", "repository:a/b:pull,push")]
    [InlineData("repository:a/b:pull", "repository:a/b:pull,push", "repository:a/b:pull repository:a/b:pull,push")]
    [InlineData("repository:a/b:pull,push repository:lib/x:pull", "repository:a/b:pull,push repository:lib/x:pull",
        "repository:a/b:pull,push repository:lib/x:pull")]
    [InlineData("repository:a/b:pull,push", "repository:a/b:pull,push repository:lib/x:pull",
        "repository:a/b:pull,push repository:lib/x:pull")]
    public void Needed_scope_is_kept_and_the_challenges_extra_scopes_added(string needed, string? challenged, string expected) =>
        Assert.Equal(expected, RegistryClient.MergeScopes(needed, challenged));
}
