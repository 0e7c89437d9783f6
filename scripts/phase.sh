# Sourced by the README's commands: each phase prints one line on screen and writes its
# full output to a log named on that line; a failing phase prints the real error and the
# log's path, and stops the command.
#   phase "configuring" configure cmake -S . -B build
# runs the command with its output in $HPO_LOG_DIR/configure.log. While a build or a test
# run goes on, the line counts "N of M" (ninja's [N/M] and ctest's N/M lines).
HPO_LOG_DIR="${HPO_LOG_DIR:-$PWD/build/logs}"
mkdir -p "$HPO_LOG_DIR"

phase() {
  local title=$1 log="$HPO_LOG_DIR/$2.log" start=$SECONDS status=0 line shown=""
  shift 2
  local tty=false
  [ -t 1 ] && tty=true
  printf 'hpo: %s … ' "$title"
  # The output goes to the log; lines saying "N of M" update the screen line on a terminal.
  "$@" >"$log" 2>&1 </dev/null &
  local pid=$!
  if $tty; then
    while kill -0 "$pid" 2>/dev/null; do
      line=$(grep -aoE '^\[[0-9]+/[0-9]+\]|^ *[0-9]+/[0-9]+ Test' "$log" 2>/dev/null | tail -1 | grep -oE '[0-9]+/[0-9]+' || true)
      if [ -n "$line" ] && [ "$line" != "$shown" ]; then
        printf '\rhpo: %s … %s of %s ' "$title" "${line%/*}" "${line#*/}"
        shown=$line
      fi
      sleep 1
    done
  fi
  wait "$pid" || status=$?
  shown=$(grep -aoE '^\[[0-9]+/[0-9]+\]|^ *[0-9]+/[0-9]+ Test' "$log" | tail -1 | grep -oE '[0-9]+/[0-9]+' || true)
  local took=$((SECONDS - start)) log_name=${log#"$PWD/"}
  if [ "$status" -eq 0 ]; then
    $tty && printf '\r\033[Khpo: %s … ' "$title"
    printf 'done in %d s%s (log: %s)\n' "$took" "${shown:+, ${shown%/*} of ${shown#*/}}" "$log_name"
    return 0
  fi
  printf 'FAILED after %d s (exit %d)\n' "$took" "$status"
  phase_error "$log"
  printf 'hpo: the whole output of "%s" is in %s\n' "$title" "$log_name"
  exit "$status"
}

# The lines of a log that say what went wrong: compiler and CMake errors, apt's E: lines,
# ctest's failed tests and GoogleTest's failures; else the log's end.
phase_error() {
  local errors
  errors=$(grep -aE -A3 'error:|Error|^E: |FAILED|\*\*\*Failed|\*\*\*Timeout|\*\*\*Exception|Failure$|ERROR: |SUMMARY: ' "$1" | head -40)
  [ -n "$errors" ] || errors=$(tail -20 "$1")
  printf '%s\n' "$errors" | sed 's/^/  | /'
}
