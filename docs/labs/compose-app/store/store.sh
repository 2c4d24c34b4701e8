#!/bin/sh
# A minimal key-value store: one command per connection, "INCR KEY" or "GET KEY".
read -r cmd key
f="/data/$key"
case "$cmd" in
  INCR) n=$(( $(cat "$f" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$f"; echo "$n" ;;
  GET) cat "$f" 2>/dev/null || echo 0 ;;
  *) echo "ERR unknown command" ;;
esac
echo "store: $cmd $key" >&2
