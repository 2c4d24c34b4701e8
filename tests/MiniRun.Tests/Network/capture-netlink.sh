#!/bin/sh
# capture-netlink.sh: how the bytes in NetlinkMessageTests.cs were captured.
#
# Runs iproute2's `ip` under strace inside a throwaway network and mount namespace (nothing is
# created in the machine's own namespaces; everything vanishes when the shell ends) and prints the
# hex dump of every netlink request `ip` sends (-e write=all) and every reply it reads
# (-e read=all). Run as root: sh capture-netlink.sh > capture.txt
#
# Captured on Debian 12, iproute2 6.1.0, strace 6.1, kernel 6.18.
set -e
exec unshare --mount --net sh -c '
set -e
mount --make-rprivate /
dir=$(mktemp -d)
trap "umount $dir/b 2>/dev/null; rm -rf $dir" EXIT
touch $dir/b
unshare --net=$dir/b true
S="strace -e trace=sendto,sendmsg,recvmsg -e write=all -e read=all -s 4096"
echo "== bridge";  $S ip link add name br0 mtu 1500 type bridge
echo "== veth";    $S ip link add veth0 mtu 1500 type veth peer name eth0 mtu 1500 netns $dir/b
echo "== master";  $S ip link set veth0 master br0
echo "== hairpin"; $S bridge link set dev veth0 hairpin on
echo "== up";      $S ip link set veth0 up
ip link set br0 up
echo "== addr";    $S ip addr add 172.17.0.1/16 broadcast 172.17.255.255 dev br0
nsenter --net=$dir/b ip addr add 172.17.0.2/16 broadcast 172.17.255.255 dev eth0
nsenter --net=$dir/b ip link set eth0 up
nsenter --net=$dir/b ip link set lo up
echo "== route";   $S nsenter --net=$dir/b ip route add default via 172.17.0.1
ip link add va type veth peer name vb
echo "== rename";  $S ip link set vb name vx
echo "== netns";   $S ip link set vx netns $dir/b
echo "== linkdump"; $S ip link show
echo "== addrdump"; $S ip -4 addr show dev br0
echo "== routedump"; $S nsenter --net=$dir/b ip -4 route show table main
echo "== linkget";  $S ip link show dev veth0
echo "== mtuerr";  $S ip link set veth0 mtu 10 || true
echo "== exists";  $S ip link add name br0 mtu 1500 type bridge || true
echo "== del";     $S ip link del veth0
echo "== delagain"; $S ip link del veth0 || true
'
