#!/bin/sh
# layers.sh - a folder uses only the folders below it (DESIGN.md), curses
# only in src/tui, and no printing, exiting or shell commands in the core.
# Prints each violation; exits 1 if there is any.
cd "$(dirname "$0")/.." || exit 2
order="util model dns dkim policy render plan check apply rotate tui cli"
level() {
    i=0
    for f in $order; do
        [ "$f" = "$1" ] && { echo $i; return; }
        i=$((i + 1))
    done
    echo -1
}
bad=0
for f in src/*/*.c src/*/*.h include/*/*.h; do
    [ -f "$f" ] || continue
    folder=$(echo "$f" | cut -d/ -f2)
    me=$(level "$folder")
    [ "$me" -ge 0 ] || continue
    for dep in $(sed -n 's|^#include "\([a-z]*\)/.*|\1|p' "$f" | sort -u); do
        l=$(level "$dep")
        if [ "$l" -gt "$me" ]; then
            echo "layers: $f ($folder) includes $dep/, a folder above it"
            bad=1
        fi
    done
done
if grep -ln '<curses.h>\|<ncurses' src/*/*.c src/*/*.h include/*/*.h | grep -v '^src/tui/'; then
    echo "layers: only src/tui may include curses"
    bad=1
fi
core="util model dns dkim policy render plan check apply rotate"
for d in $core; do
    [ -d "src/$d" ] || continue
    if grep -nE '(^|[^a-z_])(printf|fprintf|puts|fputs|perror|exit|abort|system|popen)[[:space:]]*\(' \
        "src/$d"/*.c | grep -vE 'snprintf|vsnprintf|dk_buf_printf|dk_buf_vprintf'; then
        echo "layers: the core (src/$d) must not print, exit or run a shell"
        bad=1
    fi
done
exit $bad
