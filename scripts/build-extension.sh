#!/usr/bin/env bash
# Builds the Chrome extension: web/extension plus the generator's shared files from web/tools,
# staged in dist/extension (load it unpacked: chrome://extensions → Load unpacked) and zipped to
# dist/tracker-extension.zip (for the Chrome Web Store).
set -euo pipefail
cd "$(dirname "$0")/.."
out=dist/extension
rm -rf "$out" && mkdir -p "$out"
cp web/extension/* "$out"/
cp web/tools/generator.js web/tools/qr.js web/tools/tools.css "$out"/
python3 - "$out" dist/tracker-extension.zip <<'PY'
import os, sys, zipfile
src, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(os.listdir(src)):
        z.write(os.path.join(src, name), name)
print(dest, os.path.getsize(dest), "bytes")
PY
