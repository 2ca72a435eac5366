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
n=0
sock=$SCRATCH/tmux.$n.sock
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
    n=$((n + 1)) # a fresh server each time: no race with the one shutting down
    sock=$SCRATCH/tmux.$n.sock
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
T send-keys -t dk Enter
check "the wizard goes on to the manager" wait_for "dkimctl - manager"
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
check "the manager offers the end-to-end test" wait_for "Send a test message through Postfix"
T send-keys -t dk Down Enter
check "the manager makes the missing key" wait_for "s2026._domainkey.example.org: created"
check "the key file exists with mode 0600" test "$(stat -c %a "$root/etc/dkimkeys/example.org/s2026.private")" = 600
T send-keys -t dk Enter Up Enter
check "the manager shows the DKIM record" wait_for "s2026._domainkey.example.org"
check "the record carries the key" wait_for "v=DKIM1; k=rsa"
T send-keys -t dk q Down Down Enter
check "the manager shows the plan" wait_for "What apply would change"
check "the plan writes opendkim.conf" wait_for "/etc/opendkim.conf"
T send-keys -t dk q Down Enter
check "apply asks for confirmation" wait_for "Apply these changes?"
check "nothing applied before confirmation" test ! -e "$root/etc/opendkim.conf"
T send-keys -t dk Enter
check "apply reports success" wait_for "Applied"
check "opendkim.conf was written" grep -q "^KeyTable" "$root/etc/opendkim.conf"
check "main.cf names the milter" grep -q "^smtpd_milters" "$root/etc/postfix/main.cf"
T send-keys -t dk q q
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
