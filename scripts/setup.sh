#!/bin/sh
# Install the Debian packages dmastack needs, if any are missing.
# As root this runs apt-get; otherwise it prints the one command to run.
set -e
PKGS="gcc g++ make pkg-config meson ninja-build libjson-c-dev libcmocka-dev libpci-dev scdoc bash-completion man-db graphviz pci.ids trace-cmd libtraceevent-dev clang libclang-rt-dev"
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing
else
	echo "setup: missing Debian packages:$missing"
	echo "setup: run: sudo apt-get install -y$missing"
	exit 1
fi
