#!/usr/bin/env bash
# Render a synloom HTML report in headless Chromium: a full-page screenshot and the DOM after
# rendering, then check that every report section is in that DOM.
#
#   scripts/check_report_render.sh RUN_DIR_OR_REPORT.html [OUT_DIR]
#
# RUN_DIR: uses RUN_DIR/report.html. OUT_DIR (default: a new temp dir) receives report.png and
# report.dom.html. Exit status 0 when Chromium rendered the page and all sections are present.
set -euo pipefail

target=${1:?usage: check_report_render.sh RUN_DIR_OR_REPORT.html [OUT_DIR]}
out_dir=${2:-$(mktemp -d)}
html=$target
[[ -d $target ]] && html=$target/report.html
[[ -f $html ]] || { echo "error: no report at $html (run: synloom report RUN_DIR)" >&2; exit 2; }
browser=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
[[ -n $browser ]] || { echo "error: chromium not found (Debian: apt-get install -y chromium)" >&2; exit 2; }

mkdir -p "$out_dir"
url="file://$(cd "$(dirname "$html")" && pwd)/$(basename "$html")"
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking
       --disable-dev-shm-usage --hide-scrollbars --no-first-run --user-data-dir="$out_dir/profile")
timeout 120 "$browser" "${flags[@]}" --window-size=1280,4000 \
    --screenshot="$out_dir/report.png" "$url" >"$out_dir/chromium.log" 2>&1
timeout 120 "$browser" "${flags[@]}" --dump-dom "$url" >"$out_dir/report.dom.html" 2>>"$out_dir/chromium.log"
rm -rf "$out_dir/profile"

[[ -s $out_dir/report.png ]] || { echo "error: no screenshot written (see $out_dir/chromium.log)" >&2; exit 1; }
missing=0
for title in "Run overview" "Sample explorer" "Quality metrics" "Label balance" "Length distribution" \
             "Embedding map" "Rejections" "Leaked samples" "Evaluation on real data"; do
    if ! grep -q "<h2>$title</h2>" "$out_dir/report.dom.html"; then
        echo "missing section: $title" >&2
        missing=1
    fi
done
svgs=$(grep -o "<svg" "$out_dir/report.dom.html" | wc -l)
echo "screenshot: $out_dir/report.png ($(stat -c %s "$out_dir/report.png") bytes)"
echo "dom: $out_dir/report.dom.html ($svgs svg charts)"
exit $missing
