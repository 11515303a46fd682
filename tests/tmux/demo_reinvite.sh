#!/usr/bin/env bash
# End-to-end check of the real `sms-invite --demo` TUI in a real terminal (tmux).
#
# Usage: tests/tmux/demo_reinvite.sh [path/to/sms-invite]   (default: target/debug/sms-invite)
#
# Starts the binary in a detached 100x30 tmux pane on a private tmux server, drives it with
# send-keys and asserts on capture-pane: organizations listed, help overlay opens and closes,
# one contact re-invited (prompt -> confirm -> sent -> Finished), `q` quits with exit 0 and the
# terminal restored (alternate screen left, cursor shown, mouse off, tty cooked). Then checks
# that NO_COLOR=1 starts fine and draws without colours. Prints "N passed, M failed"; exits 1 on
# the first failure, after printing the pane. TMUX_TEST_TIMEOUT (seconds, default 10) bounds
# every wait. Also: an organization whose SMS is off is refused, the demo leaves the real
# config dir untouched, a bad explicit token opens the sign-in screen naming its source, and
# SIGINT or SIGTERM from outside still restores the terminal (exit 130, 143).
set -euo pipefail

BIN=${1:-target/debug/sms-invite}
if [[ ! -x $BIN ]]; then
    echo "error: binary not found or not executable: $BIN (build it with cargo build)" >&2
    exit 2
fi
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
if ! command -v tmux >/dev/null 2>&1; then
    echo "error: tmux is not installed; this test needs it" >&2
    exit 2
fi

TIMEOUT=${TMUX_TEST_TIMEOUT:-10}
TMP="$(mktemp -d "${TMPDIR:-/tmp}/sms-invite-tmux.XXXXXX")"
# A private server (its socket in $TMP) without user config (-f /dev/null): nothing of the
# user's tmux is touched, and killing that server on exit ends only what this script started.
SOCK="$TMP/tmux.sock"
SESSION=""
PASSED=0
FAILED=0

# SHELL=/bin/sh makes the server's default-shell POSIX, whatever the user's shell is.
tm() { env -u TMUX SHELL=/bin/sh tmux -S "$SOCK" -f /dev/null "$@"; }

cleanup() {
    tm kill-server >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM HUP

summary() { echo "$PASSED passed, $FAILED failed"; }
pane() { tm capture-pane -p -t "$SESSION" 2>/dev/null || true; }
show_pane() {
    echo "---- pane of $SESSION ----"
    pane
    echo "---- end of pane ----"
}
pass() {
    PASSED=$((PASSED + 1))
    echo "ok   $1"
}
fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL $1"
    show_pane
    # ---- 3. a token given explicitly that cannot be used: the sign-in screen says which ----
start_with badtoken "" SMS_INVITE_TOKEN=not-a-token SMS_INVITE_API_URL=http://127.0.0.1:9
wait_for "› sign in" "a bad SMS_INVITE_TOKEN opens the sign-in screen"
wait_for "the token from SMS_INVITE_TOKEN cannot be used" "naming where the token came from"
wait_for "esc quit" "the hint says what esc does"
keys Escape
wait_for "EXIT=0" "esc quits, as its hint says"
tm kill-session -t "$SESSION"

summary
    exit 1
}

# Captured into a variable first: `capture | grep -q` could die of SIGPIPE under pipefail.
pane_has() {
    local out
    out="$(pane)"
    grep -qF -- "$1" <<<"$out"
}

# wait_for TEXT [DESCRIPTION]: polls the pane until TEXT shows.
wait_for() {
    local desc=${2:-"shows \"$1\""} deadline=$((SECONDS + TIMEOUT))
    until pane_has "$1"; do
        ((SECONDS < deadline)) || fail "$desc (not seen within ${TIMEOUT}s)"
        sleep 0.1
    done
    pass "$desc"
}

# wait_gone TEXT [DESCRIPTION]: polls the pane until TEXT is no longer shown.
wait_gone() {
    local desc=${2:-"no longer shows \"$1\""} deadline=$((SECONDS + TIMEOUT))
    while pane_has "$1"; do
        ((SECONDS < deadline)) || fail "$desc (still shown after ${TIMEOUT}s)"
        sleep 0.1
    done
    pass "$desc"
}

# wait_fmt FORMAT EXPECTED DESCRIPTION: polls a tmux pane format (e.g. #{alternate_on}).
wait_fmt() {
    local got deadline=$((SECONDS + TIMEOUT))
    while :; do
        got="$(tm display -p -t "$SESSION" "$1" 2>/dev/null || true)"
        [[ $got == "$2" ]] && break
        ((SECONDS < deadline)) || fail "$3 ($1 is '$got', expected '$2')"
        sleep 0.1
    done
    pass "$3"
}

# Whether the pane's cells carry foreground/background colours (SGR 30-37, 38;…, 40-47, 48;…,
# 90-97, 100-107). 39/49 (default colour) and bold/reverse/underline do not count.
has_colour() {
    local out
    out="$(tm capture-pane -e -p -t "$SESSION")"
    grep -qE $'\e\\[([0-9;]*;)?(3[0-7]|38|4[0-7]|48|9[0-7]|10[0-7])[;m]' <<<"$out"
}

keys() { tm send-keys -t "$SESSION" "$@"; }

# After the binary ends, the pane reports its exit status and whether the tty was left in
# cooked mode (raw mode clears icanon and echo), then stays open for the assertions.
AFTER='echo EXIT=$?; if stty -a | tr " ;" "\n\n" | grep -qx -e -icanon -e -echo; then echo TTY=raw; else echo TTY=cooked; fi; sleep 30'

# start NAME [VAR=value …]: the demo in a new 100x30 session, with its own data/config dirs.
start() {
    local name=$1
    shift
    start_with "$name" --demo "$@"
}

# start_with NAME FLAGS [VAR=value …]: the binary with FLAGS ("" for none).
start_with() {
    SESSION="smsinv-$$-$1"
    local flags=$2
    shift 2
    local dir="$TMP/$SESSION"
    mkdir -p "$dir/data" "$dir/config"
    local cmd
    cmd="env -u NO_COLOR -u SMS_INVITE_TOKEN SMS_INVITE_DATA_DIR=$(printf %q "$dir/data")"
    cmd+=" SMS_INVITE_CONFIG_DIR=$(printf %q "$dir/config") $* $(printf %q "$BIN") $flags; $AFTER"
    tm new -d -s "$SESSION" -x 100 -y 30 "$cmd"
    echo "# $SESSION: $*${*:+ }sms-invite $flags"
}

# ---- 1. re-invite one contact, default theme ----
start main
wait_for "✓ ready" "organizations listed with ✓ ready"
wait_for "  Acme Holding" "Acme Holding listed"
wait_for "› organizations" "header says organizations"
wait_fmt '#{alternate_on}' 1 "TUI runs on the alternate screen"
if has_colour; then pass "default theme draws in colour"; else fail "default theme draws in colour"; fi

keys '?'
wait_for "Keys (any key closes)" "? opens the help overlay"
wait_for "re-invite one number" "help lists the orgs keys"
keys Space
wait_gone "Keys (any key closes)" "any key (space) closes the help"
wait_for "ORGANIZATION" "back on the organizations table"

keys Down
keys i
wait_for "Re-invite one contact of Acme Holding" "i opens the re-invite prompt for Acme Holding"
keys -l '06 12345678'
wait_for "> 06 12345678" "typed number echoed in the prompt"
keys Enter
wait_for "› confirm" "enter opens the confirm screen"
wait_for "+31612345678 (Jan Jansen)" "confirm shows the normalized number and Jan Jansen"
wait_for "0 new, 1 existing" "confirm shows the lookup result"
wait_for "press s to send" "confirm says press s to send"
if pane_has "✓ sent"; then fail "nothing sent before s"; else pass "nothing sent before s"; fi

keys s
wait_for "✓ sent" "after s the contact shows ✓ sent"
wait_for "Finished" "the run is Finished"
wait_for " 1 sent " "the counters say 1 sent"
wait_for "no answer yet" "the sent invitation is followed"
wait_for "Play the customer: http://127.0.0.1:" "the done screen says where to play the customer"

# The demo's files are its own: a template saved in the demo lands in its temporary folder.
keys Escape
wait_for "› organizations" "esc goes back to the organizations"
keys c
wait_for "› contacts" "c opens the contacts"
keys t
wait_for "› template" "t opens the template"
keys C-s
wait_for "template saved to" "ctrl-s saves the template"
wait_for "sms-invite-demo-" "into the demo's own folder"

# An organization whose SMS is switched off is refused, with the reason, and nothing is sent.
keys Escape
wait_for "› contacts" "back to the contacts"
keys Escape
wait_for "› organizations" "back to the organizations"
keys End
keys i
wait_for "Re-invite one contact of Disabled SMS BV" "i on Disabled SMS BV"
keys -l '06 55443322'
keys Enter
wait_for "✗ NOT READY" "the confirm screen marks the SMS service NOT READY"
wait_for "is disabled" "and says why"
wait_for "must be fixed first" "and that nothing can be sent"
if pane_has "press s to send"; then fail "no send key while not ready"; else pass "no send key while not ready"; fi
keys s
wait_for "not sending: sms service" "s is refused with the reason"
if pane_has "✓ sent"; then fail "nothing sent to Disabled SMS BV"; else pass "nothing sent to Disabled SMS BV"; fi
keys Escape

keys q
wait_for "EXIT=0" "q quits with exit status 0"
wait_fmt '#{alternate_on}' 0 "alternate screen left"
wait_gone " sms-invite · " "TUI header gone from the pane"
wait_for "TTY=cooked" "tty back in cooked mode (icanon, echo)"
wait_fmt '#{cursor_flag}' 1 "cursor shown again"
wait_fmt '#{mouse_any_flag}#{mouse_sgr_flag}' 00 "mouse capture turned off"
wait_for ": Done: 1 contact(s): 1 sent" "last-run summary printed after the TUI ended"
# The operator's own config dir is untouched, and no run landed in the real data dir.
if [[ -z "$(ls -A "$TMP/$SESSION/config")" ]]; then pass "the demo left the config dir untouched"; else fail "the demo left the config dir untouched ($(ls -A "$TMP/$SESSION/config"))"; fi
if [[ ! -e "$TMP/$SESSION/data/runs" ]]; then pass "the demo journalled nothing in the real data dir"; else fail "the demo journalled nothing in the real data dir"; fi
tm kill-session -t "$SESSION"

# ---- 2. NO_COLOR=1 ----
start nocolor NO_COLOR=1
wait_for "✓ ready" "NO_COLOR=1: organizations listed with ✓ ready"
if has_colour; then fail "NO_COLOR=1: no colours drawn"; else pass "NO_COLOR=1: no colours drawn"; fi
keys q
wait_for "EXIT=0" "NO_COLOR=1: q quits with exit status 0"
wait_fmt '#{alternate_on}' 0 "NO_COLOR=1: alternate screen left"
tm kill-session -t "$SESSION"

# ---- 3. a token given explicitly that cannot be used: the sign-in screen says which ----
start_with badtoken "" SMS_INVITE_TOKEN=not-a-token SMS_INVITE_API_URL=http://127.0.0.1:9
wait_for "› sign in" "a bad SMS_INVITE_TOKEN opens the sign-in screen"
wait_for "the token from SMS_INVITE_TOKEN cannot be used" "naming where the token came from"
wait_for "esc quit" "the hint says what esc does"
keys Escape
wait_for "EXIT=0" "esc quits, as its hint says"
tm kill-session -t "$SESSION"

# ---- 4. killed from outside (SIGINT, SIGTERM): the terminal is restored all the same ----
for sig in INT TERM; do
    start "sig$sig"
    wait_for "✓ ready" "SIG$sig: organizations listed"
    shell=$(tm list-panes -t "$SESSION" -F '#{pane_pid}')
    tui=$(pgrep -P "$shell" -f sms-invite | head -1 || true)
    if [[ -n "$tui" ]]; then kill -"$sig" "$tui"; fi
    if [[ $sig == INT ]]; then code=130; else code=143; fi
    wait_for "EXIT=$code" "SIG$sig: exits with $code"
    wait_fmt '#{alternate_on}' 0 "SIG$sig: alternate screen left"
    wait_for "TTY=cooked" "SIG$sig: tty back in cooked mode"
    wait_fmt '#{cursor_flag}' 1 "SIG$sig: cursor shown again"
    wait_fmt '#{mouse_any_flag}#{mouse_sgr_flag}' 00 "SIG$sig: mouse capture turned off"
    tm kill-session -t "$SESSION"
done

summary
