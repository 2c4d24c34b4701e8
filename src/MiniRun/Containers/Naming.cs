// Naming: container IDs and names.
//
// Why: every container needs a unique ID (its directory name, the default hostname) and a
// human-friendly name. They follow Docker's formats so scripts and habits carry over:
//   - ID: 64 lowercase hex digits from a cryptographic random generator (256 bits, so collisions
//     are not a practical concern); the short ID is its first 12 digits. An ID whose short form is
//     all decimal digits is drawn again, because an all-numeric hostname confuses resolvers and
//     tools (Docker does the same).
//   - Generated names: "<adjective>_<surname of a scientist or engineer>" from MiniRun's own word
//     lists, with a random digit appended when the caller retries after a clash.
//   - User-chosen names must match [a-zA-Z0-9][a-zA-Z0-9_.-]+ (so at least two characters); a
//     single leading "/" is accepted and dropped, as Docker does.
//
// Follows: Docker's container ID and name conventions (docker-run(1) "--name", stringid).
using MiniRun.Spec;

namespace MiniRun.Containers;

public static class Naming
{
    public const int IdLength = 64;
    public const int ShortIdLength = 12;

    /// <summary>A new container ID: 64 lowercase hex digits whose first 12 are not all decimal digits.</summary>
    public static string NewId()
    {
        while (true)
        {
            string id = Convert.ToHexStringLower(KernelRandom.Bytes(IdLength / 2));
            if (!ShortId(id).All(char.IsAsciiDigit))
                return id;
        }
    }

    /// <summary>The first 12 characters of an ID (the whole string if shorter).</summary>
    public static string ShortId(string id) => id.Length > ShortIdLength ? id[..ShortIdLength] : id;

    /// <summary>True for exactly 64 lowercase hex digits.</summary>
    public static bool IsFullId(string s) => s.Length == IdLength && s.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    /// <summary>A random "adjective_surname"; when <paramref name="retry"/> &gt; 0 a random digit is appended.</summary>
    public static string GenerateName(int retry = 0)
    {
        string name = Adjectives[KernelRandom.Below(Adjectives.Length)] + "_" +
                      Surnames[KernelRandom.Below(Surnames.Length)];
        return retry > 0 ? name + KernelRandom.Below(10) : name;
    }

    /// <summary>A generated name for which <paramref name="isTaken"/> is false (tries plain names first, then with digits).</summary>
    public static string GenerateUniqueName(Func<string, bool> isTaken)
    {
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            string name = GenerateName(attempt < 10 ? 0 : attempt);
            if (!isTaken(name))
                return name;
        }
        throw new InvalidOperationException("generate container name: 1000 attempts all clashed with existing names");
    }

    /// <summary>True when <paramref name="name"/> (after an optional leading "/") is a valid container name.</summary>
    public static bool IsValidName(string name)
    {
        if (name.StartsWith('/'))
            name = name[1..];
        if (name.Length < 2 || !char.IsAsciiLetterOrDigit(name[0]))
            return false;
        for (int i = 1; i < name.Length; i++)
        {
            char c = name[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
                return false;
        }
        return true;
    }

    /// <summary>Validates a user-chosen name and returns it without a leading "/".</summary>
    public static string ValidateName(string name)
    {
        if (!IsValidName(name))
            throw new RunConfigException($"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        return name.StartsWith('/') ? name[1..] : name;
    }

    // MiniRun's own lists. Adjectives are friendly; surnames honour people whose work underlies
    // computing, physics, chemistry, mathematics and biology. Lowercase ASCII letters only.
    internal static readonly string[] Adjectives =
    {
        "agile", "amber", "ardent", "bold", "brave", "bright", "brisk", "calm", "candid", "careful",
        "cheerful", "clever", "cosmic", "crisp", "curious", "daring", "dazzling", "deft", "eager", "earnest",
        "elegant", "fearless", "fervent", "gallant", "gentle", "gleaming", "graceful", "hardy", "humble", "jolly",
        "keen", "kind", "lively", "lucid", "loyal", "mellow", "merry", "modest", "nimble", "noble",
        "patient", "placid", "plucky", "polished", "quick", "quiet", "radiant", "resolute", "serene", "sincere",
        "spirited", "steady", "sturdy", "sunny", "swift", "tender", "tidy", "upbeat", "vivid", "witty",
    };

    internal static readonly string[] Surnames =
    {
        "agnesi", "ampere", "archimedes", "avogadro", "babbage", "backus", "banach", "bardeen", "bernoulli", "bohr",
        "boltzmann", "boole", "brahe", "cannon", "cantor", "carnot", "cauchy", "cavendish", "cerf", "chandrasekhar",
        "clausius", "copernicus", "coulomb", "crick", "curie", "dijkstra", "dirac", "doppler", "eckert", "edison",
        "einstein", "erdos", "euclid", "euler", "faraday", "fermat", "fermi", "feynman", "fibonacci", "fourier",
        "franklin", "galileo", "galois", "gauss", "germain", "godel", "goodall", "hamilton", "hamming", "hawking",
        "heisenberg", "hertz", "hilbert", "hodgkin", "hooke", "hopper", "hubble", "huygens", "jacobi", "johnson",
        "joule", "kelvin", "kepler", "knuth", "kovalevskaya", "lagrange", "lamarr", "laplace", "lavoisier", "leibniz",
        "liskov", "lorentz", "lovelace", "maxwell", "meitner", "mendel", "mendeleev", "michelson", "mirzakhani", "newton",
        "noether", "ohm", "pascal", "pasteur", "pauli", "planck", "poincare", "ramanujan", "riemann", "ritchie",
        "rutherford", "sagan", "shannon", "somerville", "tesla", "turing", "volta", "watt", "wiener", "zuse",
    };
}
