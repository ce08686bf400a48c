#!/bin/sh
# check_c_abi_symbols.sh <libzova_c.a> - the symbol contract of docs/c-api.md §9.1.
# Runs `nm -g` on the archive and fails (exit 1) unless
#  * each required function is a defined global (optional leading `_`), and
#  * every global symbol token matching _?(Zova|zova)[A-Za-z0-9_]* matches _?zova_...
# Exit 2 on usage errors or when nm fails.
set -u
if [ "$#" -ne 1 ]; then
    echo "usage: $0 path/to/libzova_c.a" >&2
    exit 2
fi
archive=$1
if [ ! -f "$archive" ]; then
    echo "check_c_abi_symbols: no such archive: $archive" >&2
    exit 2
fi
symbols=$(nm -g "$archive") || { echo "check_c_abi_symbols: nm failed on $archive" >&2; exit 2; }

status=0
for name in zova_database_create zova_database_open zova_database_close zova_object_put \
            zova_object_get zova_object_read_range zova_object_manifest_get zova_object_chunk_get \
            zova_object_chunk_put zova_object_assemble_from_chunks zova_object_writer_create \
            zova_object_writer_finish zova_status_name; do
    # A defined global has a type letter other than U/w/v (e.g. T, D, B, R).
    if ! printf '%s\n' "$symbols" | grep -Eq "^[0-9A-Fa-f]* *[A-TV-Za-tv-z] _?${name}\$"; then
        echo "check_c_abi_symbols: required symbol not defined: $name" >&2
        status=1
    fi
done

bad=$(printf '%s\n' "$symbols" | grep -Eo '(^|[^A-Za-z0-9_])_?(Zova|zova)[A-Za-z0-9_]*' \
      | sed -E 's/^[^A-Za-z0-9_]//' | grep -Ev '^_?zova_' | sort -u)
if [ -n "$bad" ]; then
    echo "check_c_abi_symbols: symbols not prefixed zova_:" >&2
    printf '  %s\n' $bad >&2
    status=1
fi
[ "$status" -eq 0 ] && echo "check_c_abi_symbols: ok ($archive)"
exit "$status"
