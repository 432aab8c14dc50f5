#!/usr/bin/env bash
# Real imagery for tests, demo and bench, from Debian's opencv-doc package (BSD/Apache
# licensed OpenCV samples): a walkway video with pedestrians and a parked van
# (vtest.avi, 768x576), a photo of a bus in traffic and a photo of a kitten.
# Fetched with apt-get download (no install), extracted into .cache/footage/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.cache/footage
want=(vtest.avi pexels_double_decker_bus.jpg cat_det.jpg)
have=1
for f in "${want[@]}"; do [ -s "$out/$f" ] || have=0; done
[ "$have" -eq 1 ] && exit 0

mkdir -p "$out" .cache/deb
echo "footage: fetching opencv-doc from Debian (about 96 MB, once)" >&2
(
  cd .cache/deb
  ls opencv-doc_*.deb >/dev/null 2>&1 || {
    apt-get download opencv-doc >/dev/null 2>&1 || { apt-get update -qq && apt-get download opencv-doc >/dev/null; }
  }
)
deb=$(ls .cache/deb/opencv-doc_*.deb | head -n 1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" \
  ./usr/share/doc/opencv-doc/examples/data/vtest.avi \
  ./usr/share/doc/opencv-doc/opencv4/html/pexels_double_decker_bus.jpg \
  ./usr/share/doc/opencv-doc/opencv4/html/cat_det.jpg \
  ./usr/share/doc/opencv-doc/copyright
base="$tmp/usr/share/doc/opencv-doc"
cp "$base/examples/data/vtest.avi" "$base/opencv4/html/pexels_double_decker_bus.jpg" "$base/opencv4/html/cat_det.jpg" "$out/"
cp "$base/copyright" "$out/COPYRIGHT.opencv-doc"
rm -f "$deb"
echo "footage: ready in $out" >&2
