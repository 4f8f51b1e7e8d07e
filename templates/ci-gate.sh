#!/bin/sh
# ci-gate.sh (autolab): gate a pull request on autojudge's verdict over the branch's results.
#   sh ci-gate.sh [RESULTS] [MODE]     RESULTS default results.tsv; MODE tip (default) or all
# tip: judge the branch's configuration: the newest commit of HEAD's history that has rows (all
#      its runs pooled) against the rows before its last run. Later rows (discarded commits
#      that are not in the branch) are left out.
# all: audit the whole file (does the best beat the baseline beyond the noise?).
# Exit: 0 pass (keep or real improvement; retest / not enough signal pass with a warning unless
#       CI_GATE_STRICT=1), 1 fail (discard, crash, no improvement), 3 or 4 the gate could not judge.
# AUTOJUDGE_ARGS adds autojudge options (e.g. "--policy strict" to pass only clear gains).
# On GitHub Actions it writes ::error/::warning annotations and the verdict to the step summary.
results=${1:-results.tsv}
mode=${2:-tip}
note() {  # note LEVEL MESSAGE: a line in the log, an annotation on GitHub Actions
  if [ "$GITHUB_ACTIONS" = true ]; then printf '::%s title=autojudge::%s\n' "$1" "$2"; fi
  printf 'ci-gate: %s: %s\n' "$1" "$2"
}

case $mode in
  tip | all) ;;
  *) note error "unknown mode '$mode' (tip or all)"; exit 4 ;;
esac
if [ "$mode" = tip ]; then  # rows up to the last run of the newest commit in HEAD's history
  [ -r "$results" ] || { note error "cannot read $results"; exit 3; }
  rows=$(awk -F '\t' 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    { k = col["commit"] ? col["commit"] : 1 } $k ~ /^[0-9a-f]+$/ { print NR, $k }' "$results" |
    sort -rn)
  last=$(printf '%s\n' "$rows" | while read -r line commit; do
    if [ -n "$commit" ] && git merge-base --is-ancestor "$commit" HEAD 2>/dev/null; then
      echo "$line"; break
    fi
  done)
  if [ -z "$last" ]; then
    note error "no row of $results names a commit in this branch's history (stale results?)"
    exit 3
  fi
fi
judge() {  # shellcheck disable=SC2086  # AUTOJUDGE_ARGS is split into words on purpose
  if [ "$mode" = tip ]; then
    head -n "$last" "$results" | autojudge --results - --no-color $AUTOJUDGE_ARGS
  else
    autojudge --results "$results" --all --no-color $AUTOJUDGE_ARGS
  fi
}

report=$(judge)
code=$?
if [ -n "$report" ]; then printf '%s\n' "$report"; fi
if [ -n "$GITHUB_STEP_SUMMARY" ]; then  # a fence longer than any run of backticks in the data
  fence=$(printf '%s\n' "$report" | awk '{ while (match($0, /`+/)) {
      if (RLENGTH > n) n = RLENGTH; $0 = substr($0, RSTART + RLENGTH) } }
    END { n = n < 3 ? 3 : n + 1; while (n-- > 0) f = f "`"; print f }')
  printf '### autojudge (%s, exit %s)\n\n%s\n%s\n%s\n' "$mode" "$code" "$fence" "$report" \
    "$fence" >>"$GITHUB_STEP_SUMMARY"
fi
first=$(printf '%s\n' "$report" | head -n 1)
case $code in
  0) note notice "pass: $first"; exit 0 ;;
  1) note error "fail: $first"; exit 1 ;;
  2) if [ "${CI_GATE_STRICT:-0}" = 1 ]; then note error "not shown better (strict): $first"; exit 1; fi
     note warning "within the noise, re-run to decide: $first"; exit 0 ;;
  4) note error "autojudge usage error (exit 4)"; exit 4 ;;
  *) note error "autojudge could not judge $results (exit $code)"; exit 3 ;;
esac
