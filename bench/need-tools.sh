# need-tools.sh: sourced by the bench scripts. need_tools COMMAND:PACKAGE... installs from apt
# the packages whose command is missing (apt is the only network a benchmark may use).
#
# Why one place: every benchmark needs a few tools (hyperfine, jq, runc, podman, ...) and must
# work on a fresh machine; the install-if-missing step, with its retry after `apt-get update`,
# is the same for all of them.
#
# Follows: apt-get(8). Needs the caller's log() and die().
need_tools() {
    local t missing=()
    for t in "$@"; do command -v "${t%%:*}" >/dev/null || missing+=("${t#*:}"); done
    ((${#missing[@]})) || return 0
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; } \
        || die "apt-get install ${missing[*]} failed"
}
