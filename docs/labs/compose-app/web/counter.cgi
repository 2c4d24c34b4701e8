#!/bin/sh
n=$(printf 'INCR hits\n' | nc redis 6379)
echo "counter: request number ${n:-?}" >&2
printf 'Content-Type: text/plain\r\n\r\n'
echo "Hello from web! I have been seen ${n:-?} times."
