#!/bin/sh
# deps.sh build|check - install the Debian 12 packages dkimctl needs, only
# those that are missing, so a second run starts at once.
set -eu

build_pkgs="gcc make pkg-config libncurses-dev libssl-dev libldns-dev libyaml-dev
libidn2-dev libpsl-dev publicsuffix gettext"
check_pkgs="$build_pkgs libcmocka-dev clang libclang-rt-14-dev cppcheck clang-format
openssl tmux opendkim opendkim-tools postfix python3-dkim python3-dnspython
libmail-dkim-perl unbound ldnsutils dns-root-data patch"

case "${1:-build}" in
build) want=$build_pkgs ;;
check) want=$check_pkgs ;;
*) echo "usage: $0 build|check" >&2; exit 2 ;;
esac

missing=
for p in $want; do
    s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$s" in
    *" installed") ;;
    *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
# Packages with daemons must not start them: the tests start their own
# instances on loopback and stop them again.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 0755 "$policy"
    made_policy=1
fi
echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
[ -n "$made_policy" ] && $sudo rm -f "$policy"
exit 0
