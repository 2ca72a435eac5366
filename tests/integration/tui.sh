#!/bin/sh
# tui.sh - drive the real binary in a real terminal (tmux, 80x24): the
# first-run wizard writes the model, a bad domain is refused on screen, a
# small terminal shows a notice instead of crashing, resizing redraws, the
# second run opens the manager, translations are used.
. tests/lib.sh

if ! command -v tmux >/dev/null 2>&1; then
    skip "tui" "tmux is not installed"
    exit 0
fi
mkscratch
root=$SCRATCH/root
mkdir -p "$root"
cp -R tests/sandbox/. "$root"/
sock=$SCRATCH/tmux.sock
T() { tmux -S "$sock" "$@"; }
screen() { T capture-pane -p -t dk; }
# wait_for TEXT: up to 5 s for TEXT to appear on the screen
wait_for() {
    _i=0
    while [ $_i -lt 50 ]; do
        screen | grep -qF -- "$1" && return 0
        sleep 0.1
        _i=$((_i + 1))
    done
    echo "# screen while waiting for '$1':"
    screen | sed 's/^/#   /'
    return 1
}
start() { # start [ENV=VAL...]
    T kill-server 2>/dev/null
    T -f /dev/null new-session -d -s dk -x 80 -y 24 \
        "env TERM=xterm-256color $* '$DKIMCTL' --root '$root'; echo EXITED=\$?; sleep 30"
}
trap 'T kill-server 2>/dev/null; rm -rf "$SCRATCH"' EXIT INT TERM

start
check "wizard starts when there is no model" wait_for "No configuration yet"
T send-keys -t dk Enter
check "asks for the domain" wait_for "1/5 domain"
T send-keys -t dk -l "bad domain"
T send-keys -t dk Enter
check "a domain with a space is refused on screen" wait_for "is not accepted in a domain name"
check "the wizard stays on the domain question" wait_for "1/5 domain"
T send-keys -t dk C-u
T send-keys -t dk -l "Example.ORG"
T send-keys -t dk Enter
check "asks for the selector" wait_for "2/5 selector"
T send-keys -t dk C-u
T send-keys -t dk -l "s2026"
T send-keys -t dk Enter
check "asks for the key type" wait_for "3/5 key"
T resize-window -t dk -x 30 -y 8
check "a small terminal shows a notice" wait_for "Terminal too small"
T resize-window -t dk -x 80 -y 24
check "resizing back redraws the question" wait_for "RSA 2048 bits"
T send-keys -t dk Down Enter
check "asks about subdomains" wait_for "4/5 subdomains"
T send-keys -t dk Enter
check "shows the model for review" wait_for "5/5 review"
check "the review shows the A-label domain" wait_for "example.org"
if [ -e "$root/etc/dkimctl/dkimctl.yaml" ]; then
    notok "nothing is written before the review is confirmed"
else
    ok "nothing is written before the review is confirmed"
fi
T send-keys -t dk Enter
check "confirms the save" wait_for "The model is saved"
T send-keys -t dk q
check "exits 0 after saving" wait_for "EXITED=0"
y=$root/etc/dkimctl/dkimctl.yaml
check "the model file exists" test -f "$y"
check "the model names the domain" grep -q "example.org" "$y"
check "the model names the selector" grep -q "s2026" "$y"
check "the chosen key is RSA 3072" grep -q "3072" "$y"

start
check "second run opens the manager" wait_for "dkimctl - manager"
check "the manager lists the selector" wait_for "s2026"
T send-keys -t dk q
check "manager exits 0" wait_for "EXITED=0"

loc="$(cd "$(dirname "$DKIMCTL")" && pwd)/locale"
if [ -f "$loc/de/LC_MESSAGES/dkimctl.mo" ]; then
    rm -f "$y"
    start LANGUAGE=de LANG=C.UTF-8 DKIMCTL_LOCALEDIR="$loc"
    T send-keys -t dk Enter
    check "German translation is used" wait_for "Einrichtung - 1/5 Domain"
    T send-keys -t dk C-c
    check "Ctrl-C leaves without writing" wait_for "EXITED=1"
    check "Ctrl-C wrote no model" test ! -e "$y"
else
    skip "German translation" "no compiled catalogue next to the binary"
fi
