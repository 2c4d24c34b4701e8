// Messages: the catalog of `--trace`'s narration - every step title, every "why" and every note,
// each in English and Japanese side by side.
//
// Why one catalog: a step cannot be narrated without both texts (a Narration is made only here,
// and its constructor takes both), and tests/MiniRun.Tests/Trace/MessagesTests.cs checks every
// entry: both texts present, the Japanese one in Japanese, the same {0} placeholders in both;
// and that no file outside this one makes a Narration. The kernel calls stay as they are.
//
// Placeholders: {0}, {1}... are filled by Narration.With (paths, pids, counts, names).
// Order: by where the step runs - engine, clone, init (in the order init runs its steps), exec,
// cgroups, network, images (pull), rm - then the words beside call results and summary facts
// (Result*, Fact*: the value stays the kernel's, as {0}), the lab runner, the pause prompt and
// the summary.
namespace MiniRun.Trace;

public static class Messages
{
    // ---- engine: bundle, cgroup, clone -------------------------------------------------------
    public static readonly Narration BundleTitle = new(
        "write the container's bundle",
        "コンテナのバンドルを書く");
    public static readonly Narration BundleWhy = new(
        "config.json (the OCI runtime spec) and the overlay's directories: all the runtime reads",
        "config.json (OCI ランタイム仕様) と overlay 用のディレクトリ: ランタイムが読むのはこれだけ");
    public static readonly Narration BundleNote = new(
        "bundle {0}: config.json is the OCI runtime spec this container is made from",
        "バンドル {0}: config.json がこのコンテナの元になる OCI ランタイム仕様");
    public static readonly Narration NoCgroup = new(
        "no cgroup for this container: {0}; it runs without resource limits",
        "このコンテナには cgroup がない: {0}。リソース制限なしで動く");
    public static readonly Narration VolumeCopiedUp = new(
        "volume {0} was empty: the image's content at its path was copied into it (copy-up)",
        "ボリューム {0} は空だった: イメージのその場所の内容をコピーした (copy-up)");
    public static readonly Narration ReserveCgroupTitle = new(
        "make the container's cgroup, empty for now",
        "コンテナの cgroup を作る (まだ空)");
    public static readonly Narration ReserveCgroupWhy = new(
        "its first process is born in it (clone3 CLONE_INTO_CGROUP); the limits follow before that process runs a step",
        "最初のプロセスはこの中で生まれる (clone3 CLONE_INTO_CGROUP)。制限はそのプロセスが動き出す前に書く");
    public static readonly Narration SupervisorCloneTitle = new(
        "clone the supervisor, which clones the container's first process",
        "スーパーバイザを clone し、それがコンテナの最初のプロセスを clone する");
    public static readonly Narration SupervisorCloneWhy = new(
        "`minirun supervise` stays the container's parent; the child runs only C until it execs `minirun init`",
        "`minirun supervise` がコンテナの親であり続ける。子は `minirun init` を exec するまで C だけを実行する");
    public static readonly Narration CloneTitle = new(
        "clone the container's first process",
        "コンテナの最初のプロセスを clone する");
    public static readonly Narration CloneWhy = new(
        "one clone(2) creates every namespace at once; the child runs only C until it execs `minirun init`",
        "1 回の clone(2) ですべての名前空間を同時に作る。子は `minirun init` を exec するまで C だけを実行する");
    public static readonly Narration BornInCgroup = new(
        "born in the container's cgroup (opened above): nothing to move through cgroup.procs",
        "コンテナの cgroup (上で開いた) の中で生まれた: cgroup.procs で移す必要はない");
    public static readonly Narration Clone3Refused = new(
        "clone3(CLONE_INTO_CGROUP): {0} on this kernel; so a plain clone, then a move through cgroup.procs",
        "clone3(CLONE_INTO_CGROUP) はこのカーネルで {0}。普通の clone の後 cgroup.procs で移す");
    public static readonly Narration CloneNoCgroup = new(
        "no cgroup for this container: it stays in its parent's cgroup",
        "このコンテナには cgroup がない: 親の cgroup にとどまる");
    public static readonly Narration NamespaceNew = new(
        "{0} namespace: {1} (host: {2}) new",
        "{0} 名前空間: {1} (ホスト: {2}) 新規");
    public static readonly Narration NamespaceShared = new(
        "{0} namespace: {1} (host: {2}) shared with the host",
        "{0} 名前空間: {1} (ホスト: {2}) ホストと共有");
    public static readonly Narration NamespaceJoined = new(
        "{0} namespace: {1} (host: {2}) joined (config.json names its path)",
        "{0} 名前空間: {1} (ホスト: {2}) 参加 (config.json がパスを指定)");
    public static readonly Narration NamespacesLook = new(
        "compare them yourself: ls -l /proc/{0}/ns  (and ls -l /proc/self/ns for the host's)",
        "自分で比べる: ls -l /proc/{0}/ns  (ホスト側は ls -l /proc/self/ns)");

    // ---- user namespace ----------------------------------------------------------------------
    public static readonly Narration IdMapTitle = new(
        "map user and group ids",
        "ユーザ ID とグループ ID を対応づける");
    public static readonly Narration IdMapWhy = new(
        "inside the user namespace, root (0) is the host id the map names; without a map every id is nobody",
        "ユーザ名前空間の中の root (0) は、マップが示すホストの ID。マップがなければ全員 nobody");
    public static readonly Narration ChildWaitsForMaps = new(
        "PID {0} waits in clone_stage.c: read(sync socket) blocks until the maps are written and \"G\" arrives",
        "PID {0} は clone_stage.c で待つ: マップが書かれ \"G\" が届くまで read(同期ソケット) が戻らない");
    public static readonly Narration NotSwitchedYet = new(
        "not switched yet: on the host uid {0} gid {1}; inside {2} (what the maps make of host {0})",
        "まだ切り替え前: ホストでは uid {0} gid {1}、中では {2} (マップがホストの {0} をどう見せるか)");
    public static readonly Narration HostCredentials = new(
        "on the host: uid {0} gid {1} (/proc/{2}/status read by the runtime; `ps -o uid,pid` shows the same)",
        "ホストでは: uid {0} gid {1} (ランタイムが /proc/{2}/status を読んだ。`ps -o uid,pid` でも同じ)");
    public static readonly Narration OverlayByRuntimeTitle = new(
        "mount the overlay (done by the runtime)",
        "overlay をマウントする (ランタイムが行う)");
    public static readonly Narration OverlayByRuntimeWhy = new(
        "the user namespace maps every id to itself: the layers need no idmapping",
        "ユーザ名前空間はどの ID もそのまま対応させる: レイヤに idmap は不要");
    public static readonly Narration IdmapLayersTitle = new(
        "idmap the image layers and mount the overlay (done by the runtime)",
        "イメージのレイヤを idmap して overlay をマウントする (ランタイムが行う)");
    public static readonly Narration IdmapLayersWhy = new(
        "the layers' files belong to host ids; through an idmapped mount they belong to the container's mapped ids, without a copy",
        "レイヤのファイルはホストの ID の持ち物。idmap したマウントを通すと、コピーなしでコンテナ側の ID の持ち物になる");
    public static readonly Narration IdmapLeavesLayers = new(
        "overlayfs keeps private copies of its layers: the idmapped mounts leave the layer paths again",
        "overlayfs はレイヤのマウントを自分で持つ: idmap したマウントはレイヤのパスから外す");

    // ---- init: root filesystem ---------------------------------------------------------------
    public static readonly Narration RootSlaveTitle = new(
        "make / recursively a slave",
        "/ を再帰的に slave にする");
    public static readonly Narration RootSlaveWhy = new(
        "this mount namespace is a copy of the host's; as slaves its mounts still receive the host's new mounts (linux.rootfsPropagation), but send nothing back",
        "このマウント名前空間はホストのコピー。slave ならホストの新しいマウントは届くが (linux.rootfsPropagation)、こちらからは何も戻らない");
    public static readonly Narration RootPrivateTitle = new(
        "make / recursively private",
        "/ を再帰的に private にする");
    public static readonly Narration RootPrivateWhy = new(
        "this mount namespace is a copy of the host's; private mounts stop anything below from propagating back to the host",
        "このマウント名前空間はホストのコピー。private にすると、ここでのマウントがホストへ伝わらない");
    public static readonly Narration RootSharedTitle = new(
        "make / recursively shared",
        "/ を再帰的に shared にする");
    public static readonly Narration RootSharedWhy = new(
        "this mount namespace is a copy of the host's; shared, its mounts stay peers of the host's, so mounts below a shared bind source cross both ways (linux.rootfsPropagation)",
        "このマウント名前空間はホストのコピー。shared ならマウントはホストのものと peer のままで、shared なバインド元の下のマウントが双方向に伝わる (linux.rootfsPropagation)");
    public static readonly Narration RootfsParentPrivateTitle = new(
        "make {0}, the mount holding the rootfs, private",
        "rootfs を持つマウント {0} を private にする");
    public static readonly Narration RootfsParentPrivateWhy = new(
        "with / shared, the rootfs mount and every mount below it would reach the host; pivot_root also refuses a shared parent",
        "/ が shared のままだと rootfs のマウントとその下のマウントがホストに届く。pivot_root も shared な親を受け付けない");
    public static readonly Narration RootfsParentNotShared = new(
        "{0}, the mount holding the rootfs, is not shared: nothing to cut",
        "rootfs を持つマウント {0} は shared ではない: 切り離すものはない");
    public static readonly Narration BindRootfsTitle = new(
        "bind the bundle's rootfs onto itself",
        "バンドルの rootfs を自分自身にバインドする");
    public static readonly Narration BindRootfsWhy = new(
        "pivot_root needs the new root to be a mount point; a plain OCI bundle's rootfs is only a directory",
        "pivot_root には新しいルートがマウントポイントである必要がある。普通の OCI バンドルの rootfs はただのディレクトリ");
    public static readonly Narration ImageMountedTitle = new(
        "the image is mounted already",
        "イメージはもうマウントされている");
    public static readonly Narration ImageMountedWhy = new(
        "with a user namespace the runtime mounted the overlay here, over idmapped layers, before init started",
        "ユーザ名前空間があるとき、init の開始前にランタイムが idmap したレイヤで overlay をマウントした");
    public static readonly Narration ImageMountedNote = new(
        "{0}: overlayfs mounted by the runtime (grep overlay /proc/self/mountinfo)",
        "{0}: ランタイムがマウントした overlayfs (grep overlay /proc/self/mountinfo)");
    public static readonly Narration OverlayTitle = new(
        "mount the image as overlayfs",
        "イメージを overlayfs としてマウントする");
    public static readonly Narration OverlayWhy = new(
        "{0} read-only image layer(s) below, this container's writable upper dir on top: copy-on-write",
        "下に読み取り専用のイメージレイヤが {0} 枚、上にこのコンテナの書き込み用 upper: コピーオンライト");
    public static readonly Narration OverlayVolatile = new(
        "; volatile (--rm): the upper dir is never synced to disk, it is deleted when the container ends",
        "。volatile (--rm): upper はディスクに同期されず、コンテナの終了時に消える");
    public static readonly Narration OverlayNoVolatile = new(
        "this kernel's overlayfs has no \"volatile\" option (Linux 5.10+): mounted without it",
        "このカーネルの overlayfs には \"volatile\" がない (Linux 5.10 以降): なしでマウントした");
    public static readonly Narration OverlayRelative = new(
        "{0} layers: absolute lowerdirs would make the mount data {1} bytes, more than a page ({2} + NUL); they are given relative to the working directory {3}",
        "{0} 層: 絶対パスの lowerdir ではマウントデータが {1} バイトになり 1 ページ ({2} + NUL) を超える。作業ディレクトリ {3} からの相対パスで渡す");
    public static readonly Narration PropagationTitle = new(
        "make / {0}",
        "/ を {0} にする");
    public static readonly Narration PropagationShared = new(
        "mounts made in the container and on its peers propagate both ways",
        "コンテナと相手側で作ったマウントが双方向に伝わる");
    public static readonly Narration PropagationSlave = new(
        "the host's new mounts below the copied tree appear inside; nothing propagates back",
        "コピーした木の下にホストが作るマウントは中に現れる。中からは何も戻らない");
    public static readonly Narration PropagationUnbindable = new(
        "private, and / cannot be the source of a bind mount",
        "private で、しかも / はバインドマウントの元にできない");
    public static readonly Narration PropagationPrivate = new(
        "no mount event crosses between the container and anywhere else",
        "コンテナと外の間でマウントのイベントは一切伝わらない");
    public static readonly Narration ReadonlyRootTitle = new(
        "remount / read-only",
        "/ を読み取り専用で再マウントする");
    public static readonly Narration ReadonlyRootWhy = new(
        "root.readonly: the container cannot change its root filesystem; writes fail with EROFS",
        "root.readonly: コンテナは自分のルートファイルシステムを変更できない。書き込みは EROFS で失敗する");

    // ---- init: the spec's mounts -------------------------------------------------------------
    public static readonly Narration MountTitle = new(
        "mount {0} on {1}",
        "{1} に {0} をマウントする");
    public static readonly Narration MountWhyProc = new(
        "a procfs for the new PID namespace: ps inside sees only the container's processes",
        "新しい PID 名前空間用の procfs: 中の ps にはコンテナのプロセスしか見えない");
    public static readonly Narration MountWhySys = new(
        "sysfs, read-only: the container may read device information but not reconfigure the host",
        "読み取り専用の sysfs: デバイス情報は読めるが、ホストの設定は変えられない");
    public static readonly Narration MountWhyDev = new(
        "an empty tmpfs instead of the host's /dev: only the devices created below will exist",
        "ホストの /dev の代わりに空の tmpfs: 後で作るデバイスだけが存在する");
    public static readonly Narration MountWhyPts = new(
        "a new devpts instance: the container's terminals are its own, numbered from 0",
        "新しい devpts: コンテナの端末はコンテナ専用で、0 から番号が付く");
    public static readonly Narration MountWhyShm = new(
        "POSIX shared memory private to this container",
        "このコンテナ専用の POSIX 共有メモリ");
    public static readonly Narration MountWhyMqueue = new(
        "the POSIX message queues of the container's IPC namespace",
        "コンテナの IPC 名前空間の POSIX メッセージキュー");
    public static readonly Narration MountWhyCgroup = new(
        "the container's cgroup, seen through its cgroup namespace",
        "コンテナの cgroup を、その cgroup 名前空間を通して見せる");
    public static readonly Narration MountWhyEtcFile = new(
        "MiniRun's file for this container, bind-mounted over the image's",
        "このコンテナ用に MiniRun が作ったファイルを、イメージのものの上にバインドマウントする");
    public static readonly Narration MountWhyResolv = new(
        "the host's DNS settings minus loopback servers, bind-mounted over the image's",
        "ホストの DNS 設定 (ループバックのサーバを除く) を、イメージのものの上にバインドマウントする");
    public static readonly Narration MountWhySpec = new(
        "a mount from the runtime spec",
        "ランタイム仕様にあるマウント");

    // ---- init: devices, pivot_root, masks ----------------------------------------------------
    public static readonly Narration DevicesTitle = new(
        "create device nodes in /dev",
        "/dev にデバイスノードを作る");
    public static readonly Narration DevicesWhy = new(
        "only these character devices are created in the container's /dev; the host's disks and consoles are not among them",
        "コンテナの /dev に作るのはこれらのキャラクタデバイスだけ。ホストのディスクやコンソールは含まれない");
    public static readonly Narration SpecDevicesTitle = new(
        "create the spec's devices",
        "仕様にあるデバイスを作る");
    public static readonly Narration SpecDevicesWhy = new(
        "linux.devices: the nodes this container is given on purpose, with their own mode and owner",
        "linux.devices: このコンテナにあえて与えるノード。モードと所有者も指定どおり");
    public static readonly Narration DevLinksTitle = new(
        "create /dev symlinks",
        "/dev にシンボリックリンクを作る");
    public static readonly Narration DevLinksWhy = new(
        "/dev/fd and /dev/std* lead to this process's descriptors; /dev/ptmx to the container's own devpts",
        "/dev/fd と /dev/std* はこのプロセスのディスクリプタへ、/dev/ptmx はコンテナ自身の devpts へ");
    public static readonly Narration PivotRootTitle = new(
        "pivot_root into {0}",
        "{0} へ pivot_root する");
    public static readonly Narration PivotRootWhy = new(
        "the rootfs becomes /; the host's root is stacked on top, then detached: nothing of the host's tree stays reachable",
        "rootfs が / になる。ホストのルートは上に重なった後に切り離される: ホストの木にはもう届かない");
    public static readonly Narration MaskTitle = new(
        "mask host paths in /proc and /sys",
        "/proc と /sys にあるホストのパスを隠す");
    public static readonly Narration MaskWhy = new(
        "files such as /proc/kcore describe the host: cover them with /dev/null; make /proc/sys and friends read-only",
        "/proc/kcore などはホストを表すファイル: /dev/null で覆い、/proc/sys などは読み取り専用にする");
    public static readonly Narration SysctlTitle = new(
        "set {0} namespaced kernel parameter(s) in /proc/sys",
        "/proc/sys で名前空間ごとのカーネルパラメータを {0} 個設定する");
    public static readonly Narration SysctlWhy = new(
        "only parameters the kernel keeps per namespace, in namespaces of the container's own: the host's values stay as they are",
        "カーネルが名前空間ごとに持つパラメータだけを、コンテナ自身の名前空間で: ホストの値は変わらない");
    public static readonly Narration CgroupNamespaceTitle = new(
        "enter a new cgroup namespace",
        "新しい cgroup 名前空間に入る");
    public static readonly Narration CgroupNamespaceWhy = new(
        "its root is the cgroup this process is in now (the container's own): inside, /proc/self/cgroup reads 0::/",
        "そのルートは今このプロセスがいる cgroup (コンテナ自身のもの): 中では /proc/self/cgroup が 0::/ になる");
    public static readonly Narration HostnameTitle = new(
        "set the hostname",
        "ホスト名を設定する");
    public static readonly Narration HostnameWhy = new(
        "only this container's UTS namespace changes; the host keeps its name",
        "変わるのはこのコンテナの UTS 名前空間だけ。ホストの名前はそのまま");
    public static readonly Narration LoopbackTitle = new(
        "bring up lo",
        "lo を有効にする");
    public static readonly Narration LoopbackWhy = new(
        "a new network namespace has only the loopback interface, and it starts down",
        "新しいネットワーク名前空間にはループバックしかなく、最初は停止している");
    public static readonly Narration TerminalTitle = new(
        "set up the terminal",
        "端末を用意する");
    public static readonly Narration TerminalWhy = new(
        "a pseudo-terminal from the container's devpts becomes the controlling terminal and stdio; the parent gets its master side",
        "コンテナの devpts の疑似端末を制御端末と標準入出力にする。親はマスタ側を受け取る");

    // ---- init: hooks, start gate, security -----------------------------------------------------
    public static readonly Narration CreateHooksTitle = new(
        "run createRuntime and createContainer hooks",
        "createRuntime と createContainer のフックを実行する");
    public static readonly Narration CreateHooksWhy = new(
        "runtime-spec: before pivot_root, the runtime's hooks on the host, then createContainer's in here",
        "runtime-spec: pivot_root の前に、ホストでランタイムのフック、次にこの中で createContainer のフック");
    public static readonly Narration StartHooksTitle = new(
        "run startContainer hooks",
        "startContainer のフックを実行する");
    public static readonly Narration StartHooksWhy = new(
        "runtime-spec: after start, before the program; the path resolves in the container",
        "runtime-spec: start の後、プログラムの前。パスはコンテナの中で解決される");
    public static readonly Narration StartGateTitle = new(
        "wait for `start` (created)",
        "`start` を待つ (created)");
    public static readonly Narration StartGateWhy = new(
        "runtime-spec: the program must not run before start; init blocks reading exec.fifo until `start` writes to it",
        "runtime-spec: start より前にプログラムを動かしてはならない。init は `start` が exec.fifo に書くまで読み込みで止まる");
    public static readonly Narration SeccompCompileTitle = new(
        "compile the seccomp filter",
        "seccomp フィルタをコンパイルする");
    public static readonly Narration SeccompCompileWhy = new(
        "libseccomp turns linux.seccomp into the BPF program the kernel will run on every system call; loaded from the host's /usr/lib before pivot_root",
        "libseccomp が linux.seccomp を、カーネルがすべてのシステムコールで実行する BPF プログラムに変える。pivot_root の前にホストの /usr/lib から読み込む");
    public static readonly Narration SeccompCached = new(
        "the same filter was compiled before: {0} BPF instructions from {1} (libseccomp not called)",
        "同じフィルタは前にコンパイル済み: {1} から BPF 命令 {0} 個 (libseccomp は呼ばない)");
    public static readonly Narration SeccompCacheMiss = new(
        "seccomp filter cache {0}: {1}; compiling",
        "seccomp フィルタのキャッシュ {0}: {1}。コンパイルする");
    public static readonly Narration SeccompUnknownNames = new(
        "{0} system call names unknown to libseccomp on this architecture, skipped as runc and crun do: {1}",
        "このアーキテクチャの libseccomp が知らないシステムコール名 {0} 個は、runc や crun と同じく飛ばした: {1}");
    public static readonly Narration SeccompNotCached = new(
        "the compiled filter was not cached: {0}",
        "コンパイルしたフィルタはキャッシュしなかった: {0}");
    public static readonly Narration SeccompRuleDropped = new(
        "{0}: {1} is the default action already (rule dropped)",
        "{0}: {1} はすでに既定の動作 (ルールを省いた)");
    public static readonly Narration SeccompLibrary = new(
        "libseccomp {0}: {1}",
        "libseccomp {0}: {1}");
    public static readonly Narration SeccompReadBack = new(
        "the BPF program: {0} instructions, read back from the memfd",
        "BPF プログラム: 命令 {0} 個 (memfd から読み戻した)");
    public static readonly Narration SeccompNoListing = new(
        "(no pseudo-code listing: {0})",
        "(疑似コードの一覧なし: {0})");
    public static readonly Narration SeccompMoreLines = new(
        "... {0} more lines of the same kind (one test per rule); the rules themselves are config.json's linux.seccomp",
        "... 同じ種類の行があと {0} 行 (ルールごとに 1 つの判定)。ルールそのものは config.json の linux.seccomp");
    public static readonly Narration SeccompLoadTitle = new(
        "load the seccomp filter",
        "seccomp フィルタを読み込む");
    public static readonly Narration SeccompLoadWhy = new(
        "from now on the kernel checks every system call of the container against the filter; it can never be removed",
        "これ以降カーネルはコンテナのすべてのシステムコールをフィルタで調べる。外すことはできない");
    public static readonly Narration CapsBoundingTitle = new(
        "limit the capability bounding set",
        "ケーパビリティのバウンディングセットを絞る");
    public static readonly Narration CapsBoundingWhy = new(
        "a capability dropped from the bounding set never comes back, not even through a setuid-root program; PR_SET_KEEPCAPS first, so the switch to a non-root user keeps the permitted set until capset",
        "バウンディングセットから外したケーパビリティは、setuid root のプログラムでも戻らない。先に PR_SET_KEEPCAPS: root 以外への切り替え後も capset まで permitted を保つ");
    public static readonly Narration CapsKeeping = new(
        "keeping {0} of the kernel's {1} capabilities: {2}",
        "カーネルの {1} 個のケーパビリティのうち {0} 個を残す: {2}");
    public static readonly Narration CapsLastCapUnreadable = new(
        "/proc/sys/kernel/cap_last_cap unreadable: assuming {0} ({1})",
        "/proc/sys/kernel/cap_last_cap が読めない: {0} ({1}) とみなす");
    public static readonly Narration CapsSkipped = new(
        "skipped, this kernel does not have them (cap_last_cap = {0}): {1}",
        "このカーネルにないので飛ばした (cap_last_cap = {0}): {1}");
    public static readonly Narration CapsSetTitle = new(
        "set the effective, permitted, inheritable and ambient capabilities",
        "effective、permitted、inheritable、ambient のケーパビリティを設定する");
    public static readonly Narration CapsSetWhy = new(
        "capset after the user switch (which cleared the effective set); ambient capabilities are what a non-root user keeps across execve",
        "ユーザ切り替え (effective が空になる) の後に capset。ambient は root 以外のユーザが execve 後も持つもの");
    public static readonly Narration UserTitle = new(
        "switch to user {0} (uid {1}, gid {2})",
        "ユーザ {0} に切り替える (uid {1}, gid {2})");
    public static readonly Narration UserWhy = new(
        "credentials from the image's /etc/passwd and /etc/group; the uid goes last because it gives up the right to change the others",
        "資格情報はイメージの /etc/passwd と /etc/group から。uid は他を変える権利を失うので最後に変える");
    public static readonly Narration CredentialsTitle = new(
        "show this process's credentials from both sides",
        "このプロセスの資格情報を両側から見る");
    public static readonly Narration CredentialsWhy = new(
        "one id, stored by the kernel as the host's and translated through the reader's uid_map",
        "ID は 1 つ。カーネルはホストの ID として持ち、読む側の uid_map を通して見せる");
    public static readonly Narration CredentialsInside = new(
        "inside: uid {0} gid {1} (/proc/self/status read by init); uid_map \"{2}\" (inside host count)",
        "中では: uid {0} gid {1} (init が /proc/self/status を読んだ)。uid_map \"{2}\" (中 ホスト 個数)");
    public static readonly Narration ExecAttributesTitle = new(
        "set the umask and no_new_privs",
        "umask と no_new_privs を設定する");
    public static readonly Narration ExecAttributesWhy = new(
        "the umask shapes the modes of the files the command creates; no_new_privs: no execve can gain privileges any more (setuid bits, file capabilities)",
        "umask はコマンドが作るファイルのモードを決める。no_new_privs: 以後どの execve も権限を得られない (setuid ビット、ファイルケーパビリティ)");
    public static readonly Narration ProcessLimitsTitle = new(
        "set resource limits and the OOM score",
        "リソース制限と OOM スコアを設定する");
    public static readonly Narration ProcessLimitsWhy = new(
        "rlimits and oom_score_adj belong to the process and pass through fork and execve; set while still privileged",
        "rlimit と oom_score_adj はプロセスに属し、fork と execve を越えて残る。まだ特権があるうちに設定する");
    public static readonly Narration AppArmorTitle = new(
        "confine the program by AppArmor profile {0}",
        "AppArmor プロファイル {0} でプログラムを閉じ込める");
    public static readonly Narration AppArmorWhy = new(
        "the label is written now and applied by the kernel at execve: the program starts confined, init's own steps were not",
        "ラベルは今書き、カーネルが execve のときに適用する: プログラムは最初から閉じ込められ、init 自身の手順はそうではない");
    public static readonly Narration CreateWorkdirTitle = new(
        "create the working directory {0}",
        "作業ディレクトリ {0} を作る");
    public static readonly Narration CreateWorkdirWhy = new(
        "the image does not have it; Docker creates it too",
        "イメージにないので作る。Docker も作る");
    public static readonly Narration ChdirTitle = new(
        "chdir to {0}",
        "{0} に chdir する");
    public static readonly Narration ChdirWhy = new(
        "the command starts in the image's WorkingDir or the -w directory",
        "コマンドはイメージの WorkingDir か -w のディレクトリで始まる");
    public static readonly Narration LookupTitle = new(
        "look up \"{0}\"",
        "\"{0}\" を探す");
    public static readonly Narration LookupWhy = new(
        "the command is searched in the container's PATH, inside its own root",
        "コマンドはコンテナの PATH で、コンテナ自身のルートの中を探す");
    public static readonly Narration LookupFound = new(
        "found {0}",
        "{0} が見つかった");
    public static readonly Narration ExecTitle = new(
        "exec the command",
        "コマンドを exec する");
    public static readonly Narration ExecWhy = new(
        "no descriptor of the host survives; the command replaces minirun init and becomes the container's PID 1",
        "ホストのディスクリプタは残らない。コマンドが minirun init と入れ替わり、コンテナの PID 1 になる");
    public static readonly Narration InitSupervisorTitle = new(
        "stay PID 1 and spawn the command (--init)",
        "PID 1 のまま残り、コマンドを起動する (--init)");
    public static readonly Narration InitSupervisorWhy = new(
        "minirun init remains the container's PID 1: it forwards signals to the command and reaps every zombie",
        "minirun init がコンテナの PID 1 に残る: シグナルをコマンドへ転送し、ゾンビをすべて回収する");

    // ---- exec ----------------------------------------------------------------------------------
    public static readonly Narration ExecSeccompTitle = new(
        "compile the container's seccomp filter",
        "コンテナの seccomp フィルタをコンパイルする");
    public static readonly Narration ExecSeccompWhy = new(
        "libseccomp builds linux.seccomp here, on the host; the program loads the BPF program itself before execve",
        "libseccomp がここ (ホスト) で linux.seccomp を組み立てる。BPF プログラムはプログラム自身が execve の前に読み込む");
    public static readonly Narration ExecEnterTitle = new(
        "enter container {0} (PID 1 = host pid {1})",
        "コンテナ {0} に入る (PID 1 = ホストの pid {1})");
    public static readonly Narration ExecEnterWhy = new(
        "a C stage clones a single-threaded helper (setns needs a process of one thread); the steps below are what it does, in order",
        "C の段階が 1 スレッドの補助プロセスを clone する (setns には 1 スレッドのプロセスが必要)。以下はその補助プロセスが順に行うこと");
    public static readonly Narration ExecProgram = new(
        "user {0}: uid {1}, gid {2}; cwd {3}; {4}",
        "ユーザ {0}: uid {1}, gid {2}。cwd {3}。{4}");
    public static readonly Narration ExecNewPty = new(
        "; a new pty from the container's /dev/ptmx",
        "。コンテナの /dev/ptmx から新しい pty");
    public static readonly Narration ExecCgroupTitle = new(
        "join the container's cgroup",
        "コンテナの cgroup に入る");
    public static readonly Narration ExecCgroupWhy = new(
        "the helper writes itself into cgroup.procs first: the program is born inside the container's limits",
        "補助プロセスはまず自分を cgroup.procs に書く: プログラムはコンテナの制限の中で生まれる");
    public static readonly Narration ExecCgroupFact = new(
        "the container's cgroup {0} (joined)",
        "コンテナの cgroup {0} (参加)");
    public static readonly Narration ExecSetnsTitle = new(
        "join the container's namespaces, one setns(2) each",
        "コンテナの名前空間に 1 つずつ setns(2) で入る");
    public static readonly Narration ExecSetnsWhy = new(
        "an exec makes no namespace: it enters those of the container's PID 1, found in /proc/PID/ns",
        "exec は名前空間を作らない: /proc/PID/ns にあるコンテナの PID 1 の名前空間に入る");
    public static readonly Narration ExecPidCloneTitle = new(
        "clone again, into the container's PID namespace",
        "もう一度 clone して、コンテナの PID 名前空間に入れる");
    public static readonly Narration ExecPidCloneWhy = new(
        "setns into a PID namespace changes only where the caller's children are born; the caller itself stays outside",
        "PID 名前空間への setns で変わるのは、呼んだプロセスの子が生まれる場所だけ。呼んだプロセス自身は外に残る");
    public static readonly Narration ExecConfineTitle = new(
        "confine the program as the container's process (in the program, before execve)",
        "プログラムをコンテナのプロセスと同じに閉じ込める (プログラム自身が execve の前に)");
    public static readonly Narration ExecConfineWhy = new(
        "the process's rlimits, capabilities, umask, no_new_privs and the container's seccomp filter, in the order its init applies them",
        "rlimit、ケーパビリティ、umask、no_new_privs、コンテナの seccomp フィルタを、init と同じ順に");
    public static readonly Narration ExecCapsSkipped = new(
        "skipped, this kernel does not have them: {0}",
        "このカーネルにないので飛ばした: {0}");
    public static readonly Narration ExecDetached = new(
        "-d: a last clone runs the program and its parent exits, so the container's PID 1 inherits it",
        "-d: 最後の clone がプログラムを動かし、その親は終了する。プログラムはコンテナの PID 1 に引き取られる");

    // ---- cgroups -------------------------------------------------------------------------------
    public static readonly Narration CgroupParentExists = new(
        "{0} exists already: a parent cgroup shared with other containers, left as it is",
        "{0} はもうある: 他のコンテナと共有する親 cgroup なので、そのままにする");
    public static readonly Narration CgroupUndo = new(
        "undo: creating the container's cgroup failed, so the directories made for it go again",
        "取り消し: コンテナの cgroup を作れなかったので、そのために作ったディレクトリを消す");
    public static readonly Narration CgroupOwn = new(
        "the container's own cgroup",
        "コンテナ自身の cgroup");
    public static readonly Narration CgroupParent = new(
        "a parent cgroup that groups MiniRun's containers",
        "MiniRun のコンテナをまとめる親 cgroup");
    public static readonly Narration CgroupNoLimitFile = new(
        "{0}: no resource flags and no memory controller, so no limit file is written (the kernel's defaults: no limits)",
        "{0}: リソースの指定もメモリコントローラもないので、制限のファイルは書かない (カーネルの既定: 制限なし)");
    public static readonly Narration CgroupFrozen = new(
        "{0}: frozen {1}",
        "{0}: frozen {1}");
    public static readonly Narration CgroupControllersEnabled = new(
        "{0} already enables {1}: nothing to write",
        "{0} は {1} をもう有効にしている: 書くものはない");
    public static readonly Narration CgroupEnableWhy = new(
        "enable these controllers for the cgroups below, top-down as cgroup v2 requires",
        "下の cgroup のためにこれらのコントローラを有効にする (cgroup v2 の決まりで上から順に)");
    public static readonly Narration CgroupLimitsTitle = new(
        "write the container's limits into its cgroup",
        "コンテナの制限を cgroup に書く");
    public static readonly Narration CgroupLimitsWhy = new(
        "each limit is one file of the container's cgroup directory; the kernel enforces it for every process inside",
        "制限は 1 つずつコンテナの cgroup ディレクトリのファイル。カーネルが中のすべてのプロセスに適用する");
    public static readonly Narration CgroupBornNote = new(
        "{0} exists already: the container's first process was born in it; its limits follow, before it runs a step",
        "{0} はもうある: コンテナの最初のプロセスはこの中で生まれた。制限はそのプロセスが動き出す前に書く");
    public static readonly Narration CgroupDisabled = new(
        "linux.resources: not applied: --cgroup-manager disabled asks for no cgroup (podman --cgroups=disabled)",
        "linux.resources: 適用しない: --cgroup-manager disabled は cgroup なしを求める (podman --cgroups=disabled)");
    public static readonly Narration LimitCpusetCpus = new(
        "--cpuset-cpus / cpu.cpus: the container may run only on these CPUs",
        "--cpuset-cpus / cpu.cpus: コンテナはこれらの CPU でだけ動く");
    public static readonly Narration LimitCpusetMems = new(
        "--cpuset-mems / cpu.mems: the container allocates memory only on these NUMA nodes",
        "--cpuset-mems / cpu.mems: コンテナはこれらの NUMA ノードからだけメモリを確保する");
    public static readonly Narration LimitCpuMax = new(
        "--cpus/--cpu-quota/--cpu-period: at most QUOTA microseconds of CPU time per PERIOD",
        "--cpus/--cpu-quota/--cpu-period: PERIOD ごとに CPU 時間は最大 QUOTA マイクロ秒");
    public static readonly Narration LimitCpuBurst = new(
        "cpu.burst: CPU time saved in earlier periods that may exceed the quota",
        "cpu.burst: 前の期間に余った CPU 時間で、クォータを超えて使える分");
    public static readonly Narration LimitCpuWeight = new(
        "--cpu-shares: relative CPU share under contention (shares 1024 = weight 39; default weight 100)",
        "--cpu-shares: 競合時の CPU の相対的な取り分 (shares 1024 = weight 39、既定の weight は 100)");
    public static readonly Narration LimitCpuIdle = new(
        "cpu.idle: 1 gives the container's tasks the minimal weight of SCHED_IDLE",
        "cpu.idle: 1 でコンテナのタスクは SCHED_IDLE の最小の重みになる");
    public static readonly Narration LimitIoWeight = new(
        "--blkio-weight: relative share of disk time under contention",
        "--blkio-weight: 競合時のディスク時間の相対的な取り分");
    public static readonly Narration LimitIoWeightDevice = new(
        "blockIO.weightDevice: the share of disk time on block device {0}",
        "blockIO.weightDevice: ブロックデバイス {0} でのディスク時間の取り分");
    public static readonly Narration LimitIoMax = new(
        "--device-*-bps/iops: throttle I/O to block device {0}",
        "--device-*-bps/iops: ブロックデバイス {0} への I/O を絞る");
    public static readonly Narration LimitMemoryLow = new(
        "--memory-reservation: memory below this is protected from reclaim",
        "--memory-reservation: これ以下のメモリは回収から守られる");
    public static readonly Narration LimitMemoryMax = new(
        "--memory: hard limit; above it the kernel reclaims, then OOM-kills",
        "--memory: 上限。超えるとカーネルはメモリを回収し、それでも足りなければ OOM kill する");
    public static readonly Narration LimitSwapMax = new(
        "--memory-swap (memory + swap) minus --memory: swap the container may use",
        "--memory-swap (メモリ + スワップ) から --memory を引いたもの: コンテナが使えるスワップ");
    public static readonly Narration LimitOomGroup = new(
        "an OOM kill takes the whole container, not one of its processes",
        "OOM kill はプロセス 1 つではなくコンテナ全体を止める");
    public static readonly Narration LimitPidsMax = new(
        "--pids-limit: fork and clone fail with EAGAIN beyond this many tasks",
        "--pids-limit: タスクがこの数を超えると fork と clone は EAGAIN で失敗する");
    public static readonly Narration LimitUnified = new(
        "linux.resources.unified: written as config.json gives it",
        "linux.resources.unified: config.json のとおりに書く");
    public static readonly Narration CgroupMoveProcess = new(
        "move the process into the container's cgroup; its children will be born there",
        "プロセスをコンテナの cgroup に移す。その子もそこで生まれる");
    public static readonly Narration CgroupKill = new(
        "SIGKILL every process left in the container's cgroup",
        "コンテナの cgroup に残ったすべてのプロセスに SIGKILL");
    public static readonly Narration CgroupFreeze = new(
        "freeze: every process of the container stops where it is (SIGSTOP-free, invisible to it)",
        "凍結: コンテナのすべてのプロセスがその場で止まる (SIGSTOP なしで、プロセスからは見えない)");
    public static readonly Narration CgroupThaw = new(
        "thaw: the container's processes run again",
        "解凍: コンテナのプロセスが再び動く");
    public static readonly Narration DeviceFilterTitle = new(
        "attach the device filter to the container's cgroup",
        "コンテナの cgroup にデバイスフィルタを付ける");
    public static readonly Narration DeviceFilterWhy = new(
        "cgroup v2 has no devices.allow: an eBPF program attached to the cgroup decides every open and mknod of a device node",
        "cgroup v2 には devices.allow がない: cgroup に付けた eBPF プログラムが、デバイスノードの open と mknod をすべて判定する");
    public static readonly Narration DeviceFilterNoCgroup = new(
        "linux.resources.devices: no cgroup to attach the device filter to; kept with nodev mounts instead",
        "linux.resources.devices: デバイスフィルタを付ける cgroup がない。代わりに nodev マウントで守る");

    // ---- network -------------------------------------------------------------------------------
    public static readonly Narration NetnsTitle = new(
        "make the container's network namespace",
        "コンテナのネットワーク名前空間を作る");
    public static readonly Narration NetnsWhy = new(
        "the engine makes it (a bind mount holds it) so it can plug a veth into it; the container's first process joins it",
        "エンジンが作り (バインドマウントで保持)、veth を差し込めるようにする。コンテナの最初のプロセスはそこに参加する");
    public static readonly Narration NetworkTitle = new(
        "give the container its network",
        "コンテナにネットワークを与える");
    public static readonly Narration NetworkWhy = new(
        "a veth pair: one end on the bridge {0}, the other born in the container's namespace as eth0",
        "veth のペア: 片方はブリッジ {0} に、もう片方はコンテナの名前空間の中で eth0 として生まれる");
    public static readonly Narration NetworkAddress = new(
        "{0} = {1}/{2} on {3} ({4}); host end {5}",
        "{0} = {1}/{2} ({3} の {4} 上)。ホスト側の端 {5}");
    public static readonly Narration PortsDiscarded = new(
        "published ports are discarded when using {0} network mode",
        "{0} ネットワークモードでは公開ポートは無視される");
    public static readonly Narration BridgeTitle = new(
        "make the bridge {0}",
        "ブリッジ {0} を作る");
    public static readonly Narration BridgeWhy = new(
        "a virtual switch on the host; each container's veth plugs into it, the gateway address is its own",
        "ホスト上の仮想スイッチ。各コンテナの veth がつながり、ゲートウェイのアドレスはブリッジ自身のもの");
    public static readonly Narration ResolverTitle = new(
        "start the network's name resolver on {0}:53",
        "{0}:53 でネットワークの名前解決サーバを起動する");
    public static readonly Narration ResolverWhy = new(
        "one process per user network answers containers' names; it must outlive them all, so it is detached",
        "ユーザネットワークごとに 1 プロセスがコンテナ名に答える。全コンテナより長く生きるので切り離して動かす");
    public static readonly Narration ResolverRunning = new(
        "name resolver of this network already running: pid {0} on {1}:53",
        "このネットワークの名前解決サーバはもう動いている: pid {0}、{1}:53");
    public static readonly Narration NftTableKept = new(
        "table {0} kept: networks left on {1}",
        "テーブル {0} は残す: まだネットワークがある: {1}");
    public static readonly Narration ForwardingOn = new(
        "net.ipv4.ip_forward is already 1 (IPv4 forwarding on)",
        "net.ipv4.ip_forward はもう 1 (IPv4 転送が有効)");
    public static readonly Narration ForwardingTurnedOn = new(
        "IPv4 forwarding is now on for this host, as Docker does; MiniRun never turns it off",
        "Docker と同じく、このホストの IPv4 転送を有効にした。MiniRun が無効に戻すことはない");

    // ---- images --------------------------------------------------------------------------------
    public static readonly Narration LayerTitle = new(
        "unpack layer {0}",
        "レイヤ {0} を展開する");
    public static readonly Narration LayerWhy = new(
        "a layer is a tar of changes: files added or changed, and whiteouts for files deleted; unpacked once, shared by every image and container that uses it",
        "レイヤは変更の tar: 追加・変更したファイルと、削除を表すホワイトアウト。展開は 1 回だけで、使うイメージとコンテナすべてが共有する");
    public static readonly Narration LayerBlob = new(
        "blob {0}, {1}, {2} bytes compressed",
        "blob {0}、{1}、圧縮後 {2} バイト");
    public static readonly Narration LayerApplied = new(
        "{0} tar entries applied: {1} whiteout(s) (a lower file deleted), {2} opaque dir(s) (a lower dir hidden); {3} bytes of files",
        "tar のエントリ {0} 個を適用: ホワイトアウト {1} 個 (下のファイルを削除)、不透明ディレクトリ {2} 個 (下のディレクトリを隠す)。ファイルは {3} バイト");
    public static readonly Narration LayerLanded = new(
        "landed in {0} (named by its diff id {1}: the sha256 of the uncompressed tar)",
        "{0} に置いた (diff id {1} の名前: 展開した tar の sha256)");
    public static readonly Narration PullTitle = new(
        "pull {0}",
        "{0} を pull する");
    public static readonly Narration PullWhy = new(
        "the registry gives a manifest (the list of layers and the config) and the blobs; each layer is checked against its digest, then unpacked",
        "レジストリからマニフェスト (レイヤと設定の一覧) と blob を受け取る。各レイヤはダイジェストを確かめてから展開する");

    public static readonly Narration PullIndex = new(
        "an image index: one manifest per platform; the one for {0} is fetched next",
        "イメージインデックス: プラットフォームごとにマニフェストがある。次に {0} 用のものを取得する");
    public static readonly Narration PullManifest = new(
        "the manifest names the config and {0} layer(s), each by the sha256 of its bytes",
        "マニフェストは設定とレイヤ {0} 枚を、それぞれのバイト列の sha256 で指す");
    public static readonly Narration PullConfigBlob = new(
        "the config: the command, the environment, and the diff ids of the unpacked layers",
        "設定: コマンド、環境変数、展開したレイヤの diff id");
    public static readonly Narration PullLayerBlob = new(
        "layer {0}/{1}, {2}: hashed while it streams in, kept only if it matches its digest",
        "レイヤ {0}/{1}、{2}: 届く間にハッシュを取り、ダイジェストと一致したときだけ残す");
    public static readonly Narration PullSummaryTitle = new(
        "summary: what this pull did",
        "まとめ: この pull がしたこと");
    public static readonly Narration PullSummaryImage = new(
        "image id",
        "イメージ ID");
    public static readonly Narration PullSummaryImageValue = new(
        "{0} (the sha256 of its config), tagged {1}",
        "{0} (設定の sha256)、タグ {1}");
    public static readonly Narration PullSummaryManifest = new(
        "manifest",
        "マニフェスト");
    public static readonly Narration PullSummaryFetched = new(
        "fetched",
        "取得");
    public static readonly Narration PullSummaryFetchedValue = new(
        "{0} blob(s), {1} bytes (what the store lacked)",
        "blob {0} 個、{1} バイト (ストアになかったもの)");
    public static readonly Narration PullSummaryUnpacked = new(
        "unpacked",
        "展開");
    public static readonly Narration PullSummaryUnpackedValue = new(
        "{0} layer(s), {1} tar entries, {2} whiteout(s), {3} opaque dir(s), {4} bytes of files",
        "レイヤ {0} 枚、tar のエントリ {1} 個、ホワイトアウト {2} 個、不透明ディレクトリ {3} 個、ファイル {4} バイト");
    public static readonly Narration PullSummaryUnpackedNone = new(
        "none: every layer was in the store already",
        "なし: どのレイヤもストアにあった");

    // ---- rm ------------------------------------------------------------------------------------
    public static readonly Narration RmSupervisorTitle = new(
        "stop the container's supervisor",
        "コンテナのスーパーバイザを止める");
    public static readonly Narration RmSupervisorWhy = new(
        "first, so that no restart policy brings the container back while it is being removed",
        "最初に止める: 削除の途中で再起動ポリシーがコンテナを戻さないように");
    public static readonly Narration RmCoreTitle = new(
        "delete the container in the runtime: its processes, its cgroup, its state",
        "ランタイムでコンテナを削除する: プロセス、cgroup、状態");
    public static readonly Narration RmCoreWhy = new(
        "it is {0}; killing PID 1 ends its PID namespace, cgroup.kill catches anything that left it",
        "状態は {0}。PID 1 を kill すると PID 名前空間が終わり、外れたものは cgroup.kill が捕まえる");
    public static readonly Narration RmNetworkTitle = new(
        "take the container off its network",
        "コンテナをネットワークから外す");
    public static readonly Narration RmNetworkWhy = new(
        "its published ports, its veth, its address lease and the bind mount that held its network namespace",
        "公開ポート、veth、アドレスの割り当て、ネットワーク名前空間を保持していたバインドマウント");
    public static readonly Narration RmNameTitle = new(
        "take the container out of the store (its name {0} is free again)",
        "コンテナをストアから外す (名前 {0} はまた使える)");
    public static readonly Narration RmNameWhy = new(
        "one rename: from now on no command finds it, even if the deletion below is interrupted",
        "rename 1 回: 以後どのコマンドからも見えない。下の削除が途中で止まっても同じ");
    public static readonly Narration RmVolumesTitle = new(
        "remove its anonymous volumes (-v)",
        "匿名ボリュームを削除する (-v)");
    public static readonly Narration RmVolumesWhy = new(
        "{0} mount(s) recorded; named volumes always stay, and so does a volume another container still mounts",
        "記録されたマウントは {0} 個。名前付きボリュームと、他のコンテナがまだマウントしているボリュームは残す");
    public static readonly Narration RmFilesTitle = new(
        "delete the container's files",
        "コンテナのファイルを削除する");
    public static readonly Narration RmFilesWhy = new(
        "the record, the log and the overlay's upper directory: every change the container made to its files is gone",
        "記録、ログ、overlay の upper ディレクトリ: コンテナがファイルに加えた変更はすべて消える");

    public static readonly Narration RmSummaryTitle = new(
        "summary: what was removed",
        "まとめ: 削除したもの");
    public static readonly Narration RmSummaryProcesses = new(
        "processes",
        "プロセス");
    public static readonly Narration RmSummaryMounts = new(
        "mounts",
        "マウント");
    public static readonly Narration RmSummaryCgroup = new(
        "cgroup",
        "cgroup");
    public static readonly Narration RmSummaryNetwork = new(
        "network",
        "ネットワーク");
    public static readonly Narration RmSummaryVolumes = new(
        "volumes",
        "ボリューム");
    public static readonly Narration RmSummaryFiles = new(
        "files",
        "ファイル");
    public static readonly Narration RmProcessesValue = new(
        "PID 1 (host pid {0}) and every process of its PID namespace and cgroup",
        "PID 1 (ホストの pid {0}) と、その PID 名前空間と cgroup のすべてのプロセス");
    public static readonly Narration RmProcessesSupervisor = new(
        "; first its supervisor (pid {0})",
        "。その前にスーパーバイザ (pid {0})");
    public static readonly Narration RmProcessesNone = new(
        "none running: the container had exited",
        "動いているものはなかった: コンテナは終了していた");
    public static readonly Narration RmMountsValue = new(
        "none left: they lived in the container's mount namespace, which ended with its last process",
        "残りなし: マウントはコンテナのマウント名前空間にあり、最後のプロセスとともに消えた");
    public static readonly Narration RmCgroupNone = new(
        "none: it had no cgroup",
        "なし: cgroup を持っていなかった");
    public static readonly Narration RmNetworkValue = new(
        "its veth, address lease, published ports and the bind mount of its network namespace",
        "veth、アドレスの割り当て、公開ポート、ネットワーク名前空間のバインドマウント");
    public static readonly Narration RmNetworkNone = new(
        "none: it had no network of its own",
        "なし: 自分のネットワークを持っていなかった");
    public static readonly Narration RmVolumesValue = new(
        "its anonymous volumes (-v); named volumes stay",
        "匿名ボリューム (-v)。名前付きボリュームは残す");
    public static readonly Narration RmVolumesKept = new(
        "none: without -v every volume stays",
        "なし: -v がなければボリュームはすべて残る");
    public static readonly Narration RmFilesValue = new(
        "{0}: the record, the log and the overlay's upper directory",
        "{0}: 記録、ログ、overlay の upper ディレクトリ");

    // ---- what a call's result means, and the summary's values ---------------------------------
    // A kernel call's result (0, -1 EPERM, a fd, a pid) stays as it is; the words that explain it
    // come from here, with the value as {0}.
    public static readonly Narration ResultCloneChild = new(
        "{0} (host view); inside its new PID namespace this process is PID 1",
        "{0} (ホストから見た値)。新しい PID 名前空間の中ではこのプロセスが PID 1");
    public static readonly Narration ResultCloneViaSupervisor = new(
        "{0}, child of the supervisor {1}",
        "{0}、スーパーバイザ {1} の子");
    public static readonly Narration ResultGoSent = new(
        "1: the child calls setresgid(0,0,0) and setresuid(0,0,0), root in its namespace, then execs init",
        "1: 子は setresgid(0,0,0) と setresuid(0,0,0) で名前空間の root になり、init を exec する");
    public static readonly Narration ResultDenySetgroups = new(
        "EPERM: an unprivileged writer must deny setgroups first",
        "EPERM: 特権のない書き手は先に setgroups を deny にする必要がある");
    public static readonly Narration ResultOpenBeneath = new(
        "{0}: resolved by the kernel inside the rootfs, used as /proc/self/fd/{0}",
        "{0}: カーネルが rootfs の中で解決した。/proc/self/fd/{0} として使う");
    public static readonly Narration ResultStatvfs = new(
        "0: the mount's flags are {0}",
        "0: マウントのフラグは {0}");
    public static readonly Narration ResultStartWrote = new(
        "1: `start` wrote its byte, the program may run",
        "1: `start` が 1 バイト書いた。プログラムを動かしてよい");
    public static readonly Narration ResultUmask = new(
        "{0} (the previous mask)",
        "{0} (前のマスク)");
    public static readonly Narration ResultUmaskInherited = new(
        "the previous mask",
        "前のマスク");
    public static readonly Narration ResultSeccompInit = new(
        "ctx (the native architecture is in the filter already)",
        "ctx (ネイティブのアーキテクチャはもうフィルタに入っている)");
    public static readonly Narration ResultSeccompRulesAdded = new(
        "0 ({0} unknown system call names skipped)",
        "0 (未知のシステムコール名 {0} 個を飛ばした)");
    public static readonly Narration ResultSeccompExport = new(
        "0: the filter libseccomp will hand to the kernel, as pseudo code:",
        "0: libseccomp がカーネルに渡すフィルタ (疑似コード):");
    public static readonly Narration ResultExecveInit = new(
        "does not return: the container's command replaces minirun init as PID 1",
        "戻らない: コンテナのコマンドが minirun init と入れ替わり PID 1 になる");
    public static readonly Narration ResultInitChild = new(
        "{0} (the command's pid in the container; minirun init stays PID 1)",
        "{0} (コンテナ内でのコマンドの pid。minirun init は PID 1 のまま)");
    public static readonly Narration ResultBpfAttached = new(
        "{0} program(s) attached",
        "付いているプログラム {0} 個");
    public static readonly Narration ResultGoneAlready = new(
        "-1 (gone already)",
        "-1 (もう終了していた)");
    public static readonly Narration ResultKillPid1 = new(
        "0: PID 1 of the container; the kernel ends the rest of its PID namespace",
        "0: コンテナの PID 1。PID 名前空間の残りはカーネルが終わらせる");
    public static readonly Narration ResultStateRemoved = new(
        "0: the runtime's state of the container",
        "0: ランタイムが持つコンテナの状態");
    public static readonly Narration ResultInHelper = new(
        "0 (in the helper)",
        "0 (補助プロセスで)");
    public static readonly Narration ResultInHelperBeforeCgroupns = new(
        "0 (in the helper, before it joins the cgroup namespace)",
        "0 (補助プロセスで、cgroup 名前空間に入る前に)");
    public static readonly Narration ResultInHelperInherited = new(
        "0 (in the helper; the program inherits it)",
        "0 (補助プロセスで。プログラムが引き継ぐ)");
    public static readonly Narration ResultExecClone = new(
        "the program's process: a child of minirun, inside the container's PID namespace",
        "プログラムのプロセス: minirun の子で、コンテナの PID 名前空間の中");
    public static readonly Narration ResultExecveProgram = new(
        "does not return: the program runs",
        "戻らない: プログラムが動き出す");
    public static readonly Narration ResultSeccompBeforeNnp = new(
        "0 (no no_new_privs: loaded while CAP_SYS_ADMIN is still held)",
        "0 (no_new_privs なし: CAP_SYS_ADMIN があるうちに読み込む)");
    public static readonly Narration ResultKeepCaps = new(
        "0 (the permitted set survives setresuid)",
        "0 (permitted は setresuid の後も残る)");
    public static readonly Narration ResultBoundingKept = new(
        "0 (bounding set kept: {0})",
        "0 (残したバウンディングセット: {0})");
    public static readonly Narration ResultNoNewPrivs = new(
        "0 (no execve can gain privileges any more)",
        "0 (以後どの execve も権限を得られない)");
    public static readonly Narration ResultSeccompAfterNnp = new(
        "0 (after no_new_privs: as late as possible)",
        "0 (no_new_privs の後、できるだけ遅く)");
    public static readonly Narration ResultSupervisorKilled = new(
        "0: the supervisor (its pid and start time checked first)",
        "0: スーパーバイザ (pid と開始時刻を先に確かめた)");
    public static readonly Narration ResultRetired = new(
        "0: out of the store; `ps -a` no longer lists it, the name is free",
        "0: ストアから外した。`ps -a` にはもう出ず、名前は空いた");
    public static readonly Narration ResultFilesDeleted = new(
        "0: container.json, config.json, the log, the overlay's upper and work directories",
        "0: container.json、config.json、ログ、overlay の upper と work ディレクトリ");
    public static readonly Narration ResultResolverBound = new(
        "{0}; bound to {1}:53 UDP and TCP",
        "{0}。{1}:53 の UDP と TCP で待ち受ける");
    public static readonly Narration ResultNftAbsent = new(
        "absent: {0}; again with the table's skeleton",
        "ない: {0}。テーブルの骨組みを付けてやり直す");
    public static readonly Narration ResultPortReserved = new(
        "fd {0}, host port {1} reserved",
        "fd {0}、ホストのポート {1} を確保した");
    public static readonly Narration ResultNetlinkBound = new(
        "{0} (bound to that namespace)",
        "{0} (その名前空間に結び付いた)");
    public static readonly Narration ResultNoReply = new(
        "no reply",
        "応答なし");
    public static readonly Narration ResultGoneAlreadyEnodev = new(
        "gone already (ENODEV)",
        "もうない (ENODEV)");
    public static readonly Narration ResultNetnsMountPoint = new(
        "0: the mount point of the new namespace",
        "0: 新しい名前空間のマウントポイント");
    public static readonly Narration ResultUnshareNet = new(
        "0: this thread alone is in a new network namespace",
        "0: このスレッドだけが新しいネットワーク名前空間に入った");
    public static readonly Narration ResultNetnsHeld = new(
        "0: holds it from now on",
        "0: 以後これが名前空間を保持する");
    public static readonly Narration ResultNotMounted = new(
        "-1 {0}: not mounted",
        "-1 {0}: マウントされていない");
    public static readonly Narration FactJoined = new(
        "{0} (joined)",
        "{0} (参加)");
    public static readonly Narration FactInitStays = new(
        "{0} (minirun init stays PID 1)",
        "{0} (minirun init は PID 1 のまま)");
    public static readonly Narration FactSeccompRules = new(
        "default {0}, {1} rules",
        "既定 {0}、ルール {1} 個");
    public static readonly Narration FactSeccompLoaded = new(
        "{0} BPF instructions loaded",
        "BPF 命令 {0} 個を読み込んだ");
    public static readonly Narration FactSeccompExec = new(
        "{0} BPF instructions (the container's filter)",
        "BPF 命令 {0} 個 (コンテナのフィルタ)");
    public static readonly Narration FactCapabilities = new(
        "{0} of {1}: {2}",
        "{1} 個中 {0} 個: {2}");
    public static readonly Narration CgroupDefaultsOnly = new(
        "linux.resources asks only for the kernel's defaults (cpu.shares 1024, -1 for no limit); not written: {0}",
        "linux.resources はカーネルの既定値 (cpu.shares 1024、制限なしの -1) だけを求めている。書かない: {0}");
    public static readonly Narration CgroupNoDeviceFilterFs = new(
        "linux.resources.devices: no cgroup2 filesystem for the device filter; kept with nodev mounts",
        "linux.resources.devices: デバイスフィルタを付ける cgroup2 ファイルシステムがない。nodev マウントで守る");

    // ---- the lab runner (`minirun lab`) -----------------------------------------------------------
    public static readonly Narration LabSteps = new(
        "{0} steps",
        "{0} 手順");
    public static readonly Narration LabSkipped = new(
        "skipped here: this step needs {0}",
        "ここでは飛ばす: この手順には {0} が必要");
    public static readonly Narration LabPressEnter = new(
        "(press Enter to run it)",
        "(Enter で実行)");
    public static readonly Narration LabExpected = new(
        "expected (the lab)",
        "期待される出力 (実習)");
    public static readonly Narration LabActual = new(
        "actual (this machine)",
        "実際の出力 (このマシン)");
    public static readonly Narration LabAgree = new(
        "=> they agree",
        "=> 一致した");
    public static readonly Narration LabDiffer = new(
        "=> they differ: look at the lines marked ≠ (the lab's Recovery section helps)",
        "=> 一致しない: ≠ の行を見る (実習の「うまくいかないとき」が手がかり)");
    public static readonly Narration LabResult = new(
        "{0} step(s) agreed, {1} differed, {2} skipped",
        "一致 {0} 手順、不一致 {1} 手順、省略 {2} 手順");

    // ---- pause and summary ---------------------------------------------------------------------
    public static readonly Narration PausePrompt = new(
        "(paused: press Enter to run this step)",
        "(一時停止中: Enter でこの手順を実行)");
    public static readonly Narration PauseLook = new(
        "meanwhile, in a second terminal: {0}",
        "その間に別の端末で: {0}");
    public static readonly Narration SummaryTitle = new(
        "summary: what this container was given",
        "まとめ: このコンテナに与えたもの");

    private static readonly Narration[] FactLabels =
    [
        new("namespaces", "名前空間"),
        new("mounts", "マウント"),
        new("limits", "制限"),
        new("capabilities", "ケーパビリティ"),
        new("seccomp", "seccomp"),
        new("uid map", "uid マップ"),
        new("command", "コマンド"),
    ];

    private static readonly Narration[] FactNones =
    [
        new("none new (every namespace shared with the host)", "新規なし (すべてホストと共有)"),
        new("none", "なし"),
        new("none (no cgroup limit written: the kernel's defaults)", "なし (cgroup に制限を書いていない: カーネルの既定)"),
        new("unchanged", "変更なし"),
        new("no filter", "フィルタなし"),
        new("none: no user namespace, so uid 0 inside is uid 0 on the host", "なし: ユーザ名前空間がないので、中の uid 0 はホストの uid 0"),
        new("none exec'd", "exec していない"),
    ];

    /// <summary>The summary's label for <paramref name="fact"/>.</summary>
    public static Narration FactLabel(TraceFact fact) => FactLabels[(int)fact];

    /// <summary>What the summary says when no step recorded <paramref name="fact"/>.</summary>
    public static Narration FactNone(TraceFact fact) => FactNones[(int)fact];

    /// <summary>Every entry, for the catalog's test: the named fields and the summary's labels.</summary>
    public static IEnumerable<(string Name, Narration Text)> All()
    {
        foreach (var f in typeof(Messages).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static))
            if (f.GetValue(null) is Narration n) yield return (f.Name, n);
        for (int i = 0; i < FactLabels.Length; i++) yield return ($"FactLabel[{(TraceFact)i}]", FactLabels[i]);
        for (int i = 0; i < FactNones.Length; i++) yield return ($"FactNone[{(TraceFact)i}]", FactNones[i]);
    }
}
