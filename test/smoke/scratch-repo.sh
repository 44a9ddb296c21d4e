#!/usr/bin/env bash
# Sourced by test/smoke/compiled-binary.sh, which runs in a directory holding only the compiled
# binary as ./peers and defines `check NAME CMD...`. Walks the first minutes of a new user:
# init a scratch repository, inspect it, replace the goals with one real gate, verify it.
scratch="$work/scratch"
smoke_env="XDG_CONFIG_HOME=$work/xdg XDG_STATE_HOME=$work/state"
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
check "modes list" sh -c "'$work/peers' modes list | grep -q '^default '"
check "schema config is JSON" sh -c "'$work/peers' schema config | grep -q '\"additionalProperties\": false'"

cat > "$scratch/.peers/goals.yaml" <<'GOALS'
goals:
  - id: readme-exists
    type: hard
    cmd: cat README.md
    pass_when: exit_code == 0 and "scratch" in stdout
GOALS
check "verify passes with one passing hard goal" sh -c "cd '$scratch' && '$work/peers' verify && test -f .peers/VERIFY.md"

printf 'goals:\n  - id: broken\n    type: hard\n    cmd: "true"\n    pass_when: exit_code =\n' > "$scratch/.peers/goals.yaml"
check "malformed goals: exit 2 with file:line, no stack trace" sh -c "cd '$scratch'; out=\$('$work/peers' info 2>&1); rc=\$?; test \$rc = 2 && echo \"\$out\" | grep -q 'goals.yaml:5:' && ! echo \"\$out\" | grep -qE '^ +at '"
check "doctor --json reports" sh -c "cd '$scratch'; env $smoke_env '$work/peers' doctor --json | grep -q '\"id\": \"podman\"'"
