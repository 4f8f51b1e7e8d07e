#!/bin/sh
# judge-step.sh (autolab): judge the run that just finished, record its row, keep or revert.
# Run it once per finished run, after `git commit` and `uv run train.py > run.log 2>&1`:
#   sh judge-step.sh [RESULTS] [RUNLOG]          (defaults: results.tsv run.log)
# Exit: 0 kept (HEAD is the experiment; do not commit again)
#       1 discarded or crashed (HEAD is its parent; the experiment stays reachable
#         as refs/autolab/discarded/<hash>)
#       2 re-run training on this same commit, then run this script again
#       3 or 4: nothing was judged, recorded or reset; fix the input, or stop and report
# Settings: AUTOLAB_MAX_RETESTS (default 2), AUTOLAB_STEER_EVERY (default 10; 0 = only
# when stuck), AUTOJUDGE_ARGS (extra autojudge options, e.g. "--max-memory-gb 80").
results=${1:-results.tsv}
runlog=${2:-run.log}
say() { printf 'judge-step: %s\n' "$*"; }

if ! git rev-parse -q --verify HEAD >/dev/null; then
  say "not in a git repository with a commit; nothing done"; exit 3
fi
if git ls-files --error-unmatch -- "$results" >/dev/null 2>&1; then
  say "$results is tracked by git, so a reset would lose rows: git rm --cached it; nothing done"
  exit 3
fi
if ! git diff --quiet HEAD; then
  say "uncommitted changes to $(git diff --name-only HEAD | tr '\n' ' ')- commit the experiment" \
    "before judging it; nothing done"
  exit 3
fi
head=$(git rev-parse --short HEAD)

# shellcheck disable=SC2086  # AUTOJUDGE_ARGS is split into words on purpose
verdict=$(autojudge --results "$results" --run "$runlog" --append $AUTOJUDGE_ARGS)
code=$?
if [ -n "$verdict" ]; then printf '%s\n' "$verdict"; fi

retests() {  # rows of this commit whose status is retest (the one just appended included)
  awk -F '\t' -v c="$head" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i }
    { k = col["commit"] ? col["commit"] : 1; s = col["status"] ? col["status"] : 4 }
    NR > 1 && $k == c && $s == "retest" { n++ } END { print n + 0 }' "$results"
}

revert() {
  git update-ref "refs/autolab/discarded/$(git rev-parse HEAD)" HEAD
  if git rev-parse -q --verify HEAD~1 >/dev/null; then
    git reset -q --hard HEAD~1
    say "$1: reverted to $(git rev-parse --short HEAD); $head stays as refs/autolab/discarded/"
  else
    say "$1: $head has no parent, so nothing to revert to"
  fi
}

steer() {
  advice=$(autosteer --results "$results" --format prompt)
  steer_code=$?
  rows=$(awk 'NF' "$results" | wc -l)
  every=${AUTOLAB_STEER_EVERY:-10}
  if [ "$steer_code" -eq 1 ] || { [ "$every" -gt 0 ] && [ $(((rows - 1) % every)) -eq 0 ]; }; then
    printf '%s\n' "$advice"
  fi
  if [ "$steer_code" -ge 3 ]; then say "autosteer failed (exit $steer_code); carry on"; fi
}

case $code in
  0) say "KEEP: $head stays; do not commit again"; steer; exit 0 ;;
  1) case $verdict in
       *": CRASH"*) revert "CRASH (read: tail -n 50 $runlog)" ;;
       *) revert DISCARD ;;
     esac
     steer; exit 1 ;;
  2) n=$(retests)
     if [ "$n" -le "${AUTOLAB_MAX_RETESTS:-2}" ]; then
       say "RETEST $n: re-run training on $head (no new commit), then run judge-step.sh again"
       exit 2
     fi
     revert "RETEST limit reached, not shown better"; steer; exit 1 ;;
  3|4) say "autojudge could not judge (exit $code): nothing recorded or reset"; exit "$code" ;;
  *) say "autojudge failed (exit $code): nothing recorded or reset"; exit 3 ;;
esac
