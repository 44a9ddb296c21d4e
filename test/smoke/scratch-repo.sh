#!/usr/bin/env bash
# Sourced by test/smoke/compiled-binary.sh, which runs in a directory holding only the compiled
# binary as ./peers and defines `check NAME CMD...`. Walks the first minutes of a new user:
# init a scratch repository, inspect it, replace the goals with one real gate, verify it (and that
# verify leaves the working tree alone and cleans up when killed), then break each control file.
scratch="$work/scratch"
smoke_env="XDG_CONFIG_HOME=$XDG_CONFIG_HOME XDG_STATE_HOME=$XDG_STATE_HOME"
mkdir -p "$scratch"
git -C "$scratch" init -q
echo "scratch project" > "$scratch/README.md"
git -C "$scratch" add README.md
git -C "$scratch" -c user.name=smoke -c user.email=smoke@local -c commit.gpgsign=false commit -q -m "scratch: first commit"

check "init in a scratch repo" sh -c "cd '$scratch' && env $smoke_env '$work/peers' init | grep -q 'Initialized peers'"
check "init wrote config, goals and schemas" test -f "$scratch/.peers/config.yaml" -a -f "$scratch/.peers/goals.yaml" -a -f "$scratch/.peers/schema/config.schema.json"
check "init committed .gitignore and tagged peers-baseline" sh -c "git -C '$scratch' log -1 --format=%B | grep -qx 'Peer: peers-init' && git -C '$scratch' rev-parse -q --verify peers-baseline >/dev/null"
check "init refuses a second run (exit 2)" sh -c "cd '$scratch'; env $smoke_env '$work/peers' init >/dev/null 2>&1; test \$? = 2"
check "info --json shows both peers' argv" sh -c "cd '$scratch' && '$work/peers' info --json | grep -q '\"codex\",' && '$work/peers' info --json | grep -q '\"--dangerously-skip-permissions\"'"
check "a normal run prints no warnings (info, modes list: stderr empty)" sh -c "cd '$scratch' && '$work/peers' info >/dev/null 2>'$work/run.err' && '$work/peers' modes list >/dev/null 2>>'$work/run.err' && test ! -s '$work/run.err'"
check "modes list" sh -c "'$work/peers' modes list | grep -q '^default '"
check "schema config is JSON" sh -c "'$work/peers' schema config | grep -q '\"additionalProperties\": false'"

check "verify on the template goals: the binary's own \`peers check\` gate passes, the placeholder fails (exit 1)" sh -c "cd /; '$work/peers' verify -C '$scratch' > '$work/verify.out'; test \$? = 1 && grep -Eq 'bug-hunt-clean +pass' '$work/verify.out' && grep -Eq 'placeholder-replace-me +FAIL' '$work/verify.out'"

check "check self-review-on-handoff passes with a note before any handoff" sh -c "cd '$scratch' && '$work/peers' check self-review-on-handoff | grep -q 'nothing to check until a peer hands off'"
git -C "$scratch" -c user.name=smoke -c user.email=smoke@local -c commit.gpgsign=false commit -q --allow-empty -F - <<'MSG'
Hand off without reviewing

Peer: claude
Peer-Status: handoff
MSG
check "check self-review-on-handoff fails on a handoff without a self-review (exit 1)" sh -c "cd '$scratch'; '$work/peers' check self-review-on-handoff >/dev/null 2>&1; test \$? = 1"
git -C "$scratch" -c user.name=smoke -c user.email=smoke@local -c commit.gpgsign=false commit -q --allow-empty -F - <<'MSG'
Hand off

## Self-Review
Nothing to review in an empty commit.

Peer: claude
Peer-Status: handoff
Self-Review: pass
MSG
check "check self-review-on-handoff passes after a proper handoff commit" sh -c "cd '$scratch' && '$work/peers' check self-review-on-handoff >/dev/null"
check "check with an unknown id is bad input (exit 2)" sh -c "cd '$scratch'; '$work/peers' check no-such-check >/dev/null 2>&1; test \$? = 2"

cat > "$scratch/.peers/goals.yaml" <<'GOALS'
goals:
  - id: readme-exists
    type: hard
    cmd: cat README.md; touch made-by-gate
    pass_when: exit_code == 0 and "scratch" in stdout
GOALS
echo "uncommitted edit" >> "$scratch/README.md"
status_before=$(git -C "$scratch" status --porcelain --branch --untracked-files=all; git -C "$scratch" worktree list)
check "verify passes with one passing hard goal" sh -c "cd '$scratch' && '$work/peers' verify && test -f .peers/VERIFY.md"
status_after=$(git -C "$scratch" status --porcelain --branch --untracked-files=all; git -C "$scratch" worktree list)
check "verify left the working tree, index and worktree list as they were" test "$status_before" = "$status_after" -a ! -e "$scratch/made-by-gate"
good_goals=$(cat "$scratch/.peers/goals.yaml")

# The gate sleeps for a duration no other process on the machine uses (this shell's pid in the
# fraction), so the check below cannot mistake a stranger's `sleep` for the gate's.
gate_sleep="sleep 120.$$"
cat > "$scratch/.peers/goals.yaml" <<GOALS
goals:
  - id: long-suite
    type: hard
    cmd: touch '$work/gate-started'; $gate_sleep
    pass_when: exit_code == 0
GOALS
# The gate's process group gets SIGTERM, then SIGKILL after the grace period; its `sleep` is gone
# within seconds of verify's exit (waited for, not sampled once), and says why when it is not: the
# gate's whole process group (its `sleep`, the guard's watcher) is listed on failure.
check "verify stopped by SIGTERM: exit 143, the gate killed, no checkout left" sh -c "
  '$work/peers' verify -C '$scratch' >'$work/verify-term.out' 2>&1 & p=\$!
  for i in \$(seq 300); do [ -e '$work/gate-started' ] && break; sleep 0.1; done
  kill -TERM \$p; wait \$p; rc=\$?
  for i in \$(seq 50); do pgrep -fx '$gate_sleep' >/dev/null || break; sleep 0.1; done
  echo \"exit \$rc; worktrees: \$(git -C '$scratch' worktree list | wc -l); gate started: \$(test -e '$work/gate-started' && echo yes || echo no)\"
  ps -eo pid,ppid,pgid,stat,args | grep -F '$gate_sleep' | grep -v grep; cat '$work/verify-term.out'
  test \$rc = 143 && test \$(git -C '$scratch' worktree list | wc -l) = 1 && ! pgrep -fx '$gate_sleep' >/dev/null"

good_config=$(cat "$scratch/.peers/config.yaml")

# malformed FILE EXPECTED-LOCATION NAME CONTENT: the other file stays good; `info` and `verify` must
# both exit 2 naming file:line, with no stack trace.
malformed() {
  local file=$1 where=$2 name=$3 content=$4
  printf '%s\n' "$good_config" > "$scratch/.peers/config.yaml"
  printf '%s\n' "$good_goals" > "$scratch/.peers/goals.yaml"
  printf '%b' "$content" > "$scratch/.peers/$file"
  for cmd in info verify; do
    check "malformed $file ($name): $cmd exits 2 at $where, no stack trace" sh -c "cd '$scratch'; out=\$('$work/peers' $cmd 2>&1); rc=\$?; echo \"\$out\"; test \$rc = 2 && echo \"\$out\" | grep -q '$file:$where' && ! echo \"\$out\" | grep -qE '^ +at |internal error'"
  done
}
malformed goals.yaml 5: "unparsable pass_when" 'goals:\n  - id: broken\n    type: hard\n    cmd: "true"\n    pass_when: exit_code =\n'
malformed goals.yaml 3: "bad YAML" 'goals:\n  - id: a\n   type: hard\n'
malformed config.yaml 1:1 "unknown key" 'peerz: []\n'
malformed config.yaml 4:14 "bad type" 'peers: [{name: a, tool: claude, argv: [a]}, {name: b, tool: codex, argv: [b]}]\nbudget:\n  max_usd_mode: auto\n  max_ticks: lots\n'
printf '%s\n' "$good_config" > "$scratch/.peers/config.yaml"
printf '%s\n' "$good_goals" > "$scratch/.peers/goals.yaml"

check "doctor --json reports" sh -c "cd '$scratch'; '$work/peers' doctor --json | grep -q '\"id\": \"podman\"'"
