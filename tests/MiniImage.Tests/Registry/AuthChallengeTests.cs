// Tests of AuthChallenge (WWW-Authenticate parsing) and RegistryHosts (base URI, HTTP policy,
// origin comparison, config-key normalisation).
// Follows: RFC 9110 11.6.1; dockerd(8) insecure-registries.
using MiniImage.Registry;

namespace MiniImage.Tests.Registry;

public class AuthChallengeTests
{
    [Fact]
    public void Bearer_with_quoted_comma_in_scope()
    {
        var c = AuthChallenge.Parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:samalba/my-app:pull,push\"");
        var only = Assert.Single(c);
        Assert.True(only.IsBearer);
        Assert.Equal("https://auth.docker.io/token", only.Realm);
        Assert.Equal("registry.docker.io", only.Service);
        Assert.Equal("repository:samalba/my-app:pull,push", only.Scope);
        Assert.Null(only.Error);
    }

    [Fact]
    public void Several_challenges_in_one_and_several_headers_error_and_escapes()
    {
        var c = AuthChallenge.Parse([
            "Basic realm=\"a \\\"quoted\\\", realm\", Bearer realm=\"http://t/token\", service=reg ,error=\"invalid_token\"",
            "NEGOTIATE abc==",
        ]);
        Assert.Equal(3, c.Count);
        Assert.True(c[0].IsBasic);
        Assert.Equal("a \"quoted\", realm", c[0].Realm);
        Assert.True(c[1].IsBearer);
        Assert.Equal("http://t/token", c[1].Realm);
        Assert.Equal("reg", c[1].Service);
        Assert.Equal("invalid_token", c[1].Error);
        Assert.Equal("negotiate", c[2].Scheme);
    }

    [Fact]
    public void Scheme_and_names_are_case_insensitive_garbage_is_skipped()
    {
        var c = AuthChallenge.Parse("=x, bEaReR REALM=\"r\", Scope=\"repository:a:pull repository:b:pull\", ,");
        var only = Assert.Single(c);
        Assert.True(only.IsBearer);
        Assert.Equal("r", only.Realm);
        Assert.Equal("repository:a:pull repository:b:pull", only.Scope);
        Assert.Empty(AuthChallenge.Parse(""));
    }

    [Theory]
    [InlineData("docker.io", "https://registry-1.docker.io/")]
    [InlineData("index.docker.io", "https://registry-1.docker.io/")]
    [InlineData("ghcr.io", "https://ghcr.io/")]
    [InlineData("localhost:5000", "http://localhost:5000/")]
    [InlineData("localhost", "http://localhost/")]
    [InlineData("127.0.0.1:5000", "http://127.0.0.1:5000/")]
    [InlineData("127.8.9.10", "http://127.8.9.10/")]
    [InlineData("[::1]:5000", "http://[::1]:5000/")]
    [InlineData("128.0.0.1:5000", "https://128.0.0.1:5000/")]
    [InlineData("localhost.example.com", "https://localhost.example.com/")]
    [InlineData("myreg.lan:5000", "http://myreg.lan:5000/")]
    [InlineData("other.lan:5000", "http://other.lan:5000/")]
    [InlineData("other.lan:6000", "http://other.lan:6000/")]
    [InlineData("myreg.lan:6000", "https://myreg.lan:6000/")]
    public void BaseUri_uses_https_except_loopback_and_insecure(string domain, string expected)
    {
        using var client = new RegistryClient(new RegistryOptions { InsecureRegistries = ["myreg.lan:5000", "other.lan"] });
        Assert.Equal(expected, client.BaseUri(domain).ToString());
    }

    [Fact]
    public void BaseUri_refuses_a_url()
    {
        var e = Assert.Throws<RegistryException>(() => RegistryHosts.BaseUri("https://x/y", []));
        Assert.Contains("https://x/y", e.Message);
    }

    [Theory]
    [InlineData("https://index.docker.io/v1/", "docker.io")]
    [InlineData("registry-1.docker.io", "docker.io")]
    [InlineData("http://LocalHost:5000/", "localhost:5000")]
    [InlineData("ghcr.io", "ghcr.io")]
    public void Normalize_config_keys(string key, string expected) => Assert.Equal(expected, RegistryHosts.Normalize(key));

    [Fact]
    public void SameOrigin_compares_scheme_host_and_port()
    {
        Assert.True(RegistryHosts.SameOrigin(new Uri("https://r.io/v2/x"), new Uri("https://R.io:443/")));
        Assert.False(RegistryHosts.SameOrigin(new Uri("https://r.io/"), new Uri("http://r.io/")));
        Assert.False(RegistryHosts.SameOrigin(new Uri("http://127.0.0.1:5000/"), new Uri("http://127.0.0.1:5001/")));
        Assert.False(RegistryHosts.SameOrigin(new Uri("https://r.io/"), new Uri("https://cdn.r.io/")));
    }
}
