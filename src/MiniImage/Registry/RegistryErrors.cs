// RegistryErrors: turns a registry's refusal (status code plus {"errors":[{"code","message"}]} body)
// into one-line RegistryExceptions worded like Docker's, naming the reference.
//
// Why: "HTTP 404" tells a student nothing; "manifest for alpine:nope not found: manifest unknown"
// or "pull access denied for secret/app, repository does not exist or may require 'minirun login'"
// says what to do. Registry-supplied text is reduced to one line and bounded in length.
// A push refused for lack of rights reads as docker push's: "unauthorized: authentication required"
// (no credentials were sent) or "denied: requested access to the resource is denied".
// Follows: OCI distribution-spec "Error Codes" (BLOB_UNKNOWN, MANIFEST_UNKNOWN, NAME_UNKNOWN,
// UNAUTHORIZED, DENIED, TOOMANYREQUESTS, ...); Docker CLI messages for the same cases.
using System.Text.Json;

namespace MiniImage.Registry;

internal static class RegistryErrors
{
    public static RegistryException AccessDenied(RequestContext ctx, int status, string? helperNote)
    {
        if (ctx.Kind == RequestKind.Login) return IncorrectCredentials(ctx, status);
        if (ctx.IsPush)
        {
            // docker push's words: with credentials the registry refused the action itself;
            // without, it wants a login first.
            string text = ctx.CredentialsSent ? "denied: requested access to the resource is denied" : "unauthorized: authentication required";
            if (!ctx.CredentialsSent && helperNote is not null) text += $" ({helperNote})";
            return new RegistryException(text, status, ctx.CredentialsSent ? "DENIED" : "UNAUTHORIZED");
        }
        string msg = $"pull access denied for {ctx.FamiliarName}, repository does not exist or may require 'minirun login'";
        if (ctx.CredentialsSent) msg += $" (the credentials stored for {ctx.Domain} were sent)";
        else if (helperNote is not null) msg += $" ({helperNote})";
        return new RegistryException(msg, status, "UNAUTHORIZED");
    }

    public static RegistryException IncorrectCredentials(RequestContext ctx, int status) =>
        new($"{ctx.Operation}: unauthorized: incorrect username or password for {ctx.Domain}", status, "UNAUTHORIZED");

    /// <summary>The exception for a non-success response whose body (possibly empty) was read.</summary>
    public static RegistryException FromResponse(RequestContext ctx, HttpResponseMessage response, byte[] body, string? helperNote)
    {
        int status = (int)response.StatusCode;
        (string? code, string? message) = ParseFirstError(body);

        switch (code)
        {
            case "MANIFEST_UNKNOWN":
                return new($"manifest for {ctx.Subject} not found: manifest unknown", status, code);
            case "NAME_UNKNOWN":
                return new($"repository {ctx.FamiliarName} not found: name unknown", status, code);
            case "BLOB_UNKNOWN":
                return new($"{ctx.Operation}: blob {ctx.Subject} not found in repository {ctx.FamiliarName}: blob unknown", status, code);
            case "UNAUTHORIZED":
                return ctx.CredentialsSent && ctx.BasicChallenged ? IncorrectCredentials(ctx, status) : AccessDenied(ctx, status, helperNote);
            case "DENIED" when ctx.IsPush:
                return new($"denied: {OneLine(message ?? "requested access to the resource is denied")}", status, code);
            case "DENIED":
                return new($"{ctx.Operation}: denied: {OneLine(message ?? "requested access to the resource is denied")}", status, code);
        }

        if (status == 401)
            return ctx.CredentialsSent && ctx.BasicChallenged ? IncorrectCredentials(ctx, status) : AccessDenied(ctx, status, helperNote);
        if (code is not null)
            return new($"{ctx.Operation}: {code.ToLowerInvariant()}: {OneLine(message ?? "")} (HTTP {status})", status, code);
        if (status == 404 && ctx.Kind == RequestKind.Manifest)
            return new($"manifest for {ctx.Subject} not found (HTTP 404 without an error body)", status);
        if (status == 404 && ctx.Kind == RequestKind.Blob)
            return new($"{ctx.Operation}: blob not found (HTTP 404 without an error body)", status);
        string reason = response.ReasonPhrase is { Length: > 0 } r ? " " + OneLine(r) : "";
        string method = response.RequestMessage?.Method.Method ?? "GET";
        return new($"{ctx.Operation}: {method} {response.RequestMessage?.RequestUri}: HTTP {status}{reason}", status);
    }

    /// <summary>The first error's code and message from a distribution error body, or (null, null).</summary>
    public static (string? Code, string? Message) ParseFirstError(byte[] body)
    {
        if (body.Length == 0) return (null, null);
        try
        {
            var parsed = JsonSerializer.Deserialize(body, RegistryJsonContext.Default.ErrorResponse);
            var first = parsed?.Errors?.FirstOrDefault(e => !string.IsNullOrEmpty(e.Code));
            return first is null ? (null, null) : (first.Code!.ToUpperInvariant(), first.Message);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    /// <summary>Registry text made safe for a one-line message: no control characters, at most 300 chars.</summary>
    public static string OneLine(string text)
    {
        var chars = text.Select(c => char.IsControl(c) ? ' ' : c).ToArray();
        string s = new string(chars).Trim();
        return s.Length > 300 ? s[..300] + "..." : s;
    }
}
