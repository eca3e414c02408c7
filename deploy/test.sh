#!/usr/bin/env bash
# test.sh — the whole test suite, as CI runs it (`.ci/run` execs this).
#
#   deploy/test.sh [CTEST ARGS...]     e.g. deploy/test.sh -L unit      deploy/test.sh -R tc_json
#
# 1. installs dependencies (deploy/install-deps.sh; a no-op when all is there),
# 2. gates: banned C functions (failure), clang-format --dry-run (warning only),
# 3. configures + builds two variants: build/ (-DWERROR=ON) and build-asan/ (-DSANITIZE=ON -DWERROR=ON,
#    ASan + UBSan + LeakSanitizer),
# 4. runs the whole CTest suite in each (`ctest --output-on-failure -j2`). The real services the tests need
#    (PostgreSQL via deploy/pg.sh, anvil via deploy/anvil.sh) are started and stopped by CTest fixtures,
# 5. prints both CTest summaries last and exits non-zero on any failure.
# Whatever was started is stopped on exit, even on failure or Ctrl-C.
#
# Environment (all optional):
#   TEECERT_BUILD_DIR       plain build folder            (default: build)
#   TEECERT_ASAN_BUILD_DIR  sanitizer build folder        (default: build-asan)
#   TEECERT_VARIANTS        which variants to run         (default: "plain asan")
#   TEECERT_SKIP_DEPS=1     do not run install-deps.sh
#   TEECERT_SHARED          the shared test data folder   (default: ../shared beside the repo)
#   TEECERT_BUILD_TYPE      CMAKE_BUILD_TYPE of build/    (default: none, the project's flags; e.g. RelWithDebInfo)
#   TEECERT_JOBS            build and ctest parallelism   (default: 2)
#   TEECERT_TEST_TIMEOUT    per-test timeout in seconds, for tests that set none (default: 600)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BUILD="${TEECERT_BUILD_DIR:-build}"
ASAN_BUILD="${TEECERT_ASAN_BUILD_DIR:-build-asan}"
VARIANTS="${TEECERT_VARIANTS:-plain asan}"
JOBS="${TEECERT_JOBS:-2}"
TIMEOUT="${TEECERT_TEST_TIMEOUT:-600}"
CTEST_ARGS=("$@")

START=$SECONDS
say() { printf '\n=== test.sh: %s [%ss]\n' "$*" "$((SECONDS - START))"; }

# ------------------------------------------------------------------------------------------------- cleanup
# CTest fixtures stop what they start; this catches what an interrupted or crashed run left behind.
CHILD=""
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$CHILD" ] && kill -0 "$CHILD" 2>/dev/null; then
		kill -TERM -- "-$CHILD" 2>/dev/null || kill -TERM "$CHILD" 2>/dev/null || true
		wait "$CHILD" 2>/dev/null || true
		kill -KILL -- "-$CHILD" 2>/dev/null || true
	fi
	local b d
	for b in "$BUILD" "$ASAN_BUILD"; do
		[ -d "$b" ] || continue
		for d in "$b"/test*/; do
			[ -d "$d" ] || continue
			if [ -f "$d/anvil.pid" ]; then
				timeout 30 bash "$ROOT/deploy/anvil.sh" stop "$d" >/dev/null 2>&1 || true
			fi
			if [ -f "$d/dsn" ] || [ -f "$d/port" ] || [ -f "$d/root" ]; then
				timeout 60 bash "$ROOT/deploy/pg.sh" stop "$d" >/dev/null 2>&1 || true
			fi
		done
	done
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Run a command in the background and wait for it, so a signal to this script is handled at once.
# The command gets its own process group (setsid), so cleanup can stop it with everything it started (a
# killed ctest would otherwise leave its running tests behind).
run() {
	setsid "$@" &
	CHILD=$!
	local rc=0
	wait "$CHILD" || rc=$?
	CHILD=""
	return "$rc"
}

# ---------------------------------------------------------------------------------------------- 1. deps
if [ "${TEECERT_SKIP_DEPS:-0}" != 1 ]; then
	say "dependencies"
	run bash "$ROOT/deploy/install-deps.sh"
fi

# C files of the project: tracked plus new untracked ones (not ignored), so local runs see work in progress.
c_files() {
	if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$ROOT" ls-files --cached --others --exclude-standard -- '*.c' '*.h' |
			grep -Ev '^(build[^/]*|node_modules|\.teecert)/' |
			while IFS= read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done
	else
		find . -path ./node_modules -prune -o -path './build*' -prune -o -path ./.teecert -prune -o \
			-type f \( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||'
	fi
}

# ---------------------------------------------------------------------------------------------- 2. gates
say "gate: banned functions (STYLE.md point 12)"
mapfile -t CFILES < <(c_files | sort)
# Comments and string literals are blanked first (strip_c below), so prose like "gets (" never matches. A call
# is the name, optional blanks, '(' — not preceded by a letter, digit, '_', '.' or '>' (so snprintf,
# strtok_r, OPENSSL_rand, s.rand( and p->atoi( are fine).
strip_c() { # FILE... -> FILE:LINE:code with comments and string/char literals blanked
	awk '
FNR == 1 { incomment = 0 }
{
	line = $0; out = ""; i = 1; n = length(line)
	while (i <= n) {
		c = substr(line, i, 1); d = substr(line, i, 2)
		if (incomment) {
			if (d == "*/") { incomment = 0; i += 2 } else i++
			continue
		}
		if (d == "/*") { incomment = 1; i += 2; continue }
		if (d == "//") break
		if (c == "\"" || c == "'\''") {
			q = c; i++
			while (i <= n) {
				e = substr(line, i, 1)
				if (e == "\\") { i += 2; continue }
				i++
				if (e == q) break
			}
			out = out q q
			continue
		}
		out = out c; i++
	}
	print FILENAME ":" FNR ":" out
}
' "$@"
}
BANNED='(^|[^A-Za-z0-9_.>])(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|rand)[[:space:]]*\('
banned_hits=""
if [ "${#CFILES[@]}" -gt 0 ]; then
	banned_hits="$(strip_c "${CFILES[@]}" | grep -E "$BANNED" || true)"
fi
if [ -n "$banned_hits" ]; then
	printf '%s\n' "$banned_hits"
	echo "test.sh: FAILED: banned function calls above (use snprintf, strtok_r, strtol/tc_ parsers, RAND_bytes)"
	exit 1
fi
echo "no banned calls in ${#CFILES[@]} C files"

say "gate: clang-format --dry-run (warning only)"
if command -v clang-format >/dev/null 2>&1 && [ "${#CFILES[@]}" -gt 0 ]; then
	unformatted=()
	for f in "${CFILES[@]}"; do
		if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
			unformatted+=("$f")
		fi
	done
	if [ "${#unformatted[@]}" -gt 0 ]; then
		echo "warning: ${#unformatted[@]} of ${#CFILES[@]} C files differ from .clang-format (clang-format -i FILE):"
		printf '  %s\n' "${unformatted[@]}" | head -n 40
	else
		echo "all ${#CFILES[@]} C files match .clang-format"
	fi
else
	echo "warning: clang-format not found or no C files; skipped"
fi

# ----------------------------------------------------------------------------------- 3+4. build and test
SHARED_ARGS=()
if [ -n "${TEECERT_SHARED:-}" ]; then
	SHARED_ARGS=("-DTC_SHARED_DIR=$TEECERT_SHARED")
fi

configure() { # DIR ARGS...
	local dir="$1"
	shift
	local gen=()
	# Ninja when available, but never switch the generator of an existing build folder.
	if [ ! -f "$dir/CMakeCache.txt" ] && command -v ninja >/dev/null 2>&1; then
		gen=(-G Ninja)
	fi
	run cmake -S "$ROOT" -B "$dir" "${gen[@]}" -DWERROR=ON "${SHARED_ARGS[@]}" "$@"
}

declare -A SUMMARY=()
failed=0

variant() { # NAME DIR CMAKE-ARGS...
	local name="$1" dir="$2"
	shift 2
	say "$name: configure $dir"
	configure "$dir" "$@"
	say "$name: build $dir"
	run cmake --build "$dir" -j "$JOBS"
	say "$name: ctest in $dir"
	local log rc=0
	log="$(cd "$dir" && pwd)/ctest-output.log"
	rm -f "$log"
	run ctest --test-dir "$dir" --output-on-failure -j "$JOBS" --timeout "$TIMEOUT" --no-tests=error \
		-O "$log" "${CTEST_ARGS[@]}" || rc=$?
	local line
	line="$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" 2>/dev/null | tail -n1 || true)"
	[ -n "$line" ] || line="ctest exited $rc without a summary"
	SUMMARY[$name]="$line"
	if [ "$rc" -ne 0 ]; then
		failed=1
	fi
}

# UBSan: stop at the first report, with a stack. LSan stays on (ASan's default).
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-strict_string_checks=1:detect_stack_use_after_return=1}"

ran=()
for v in $VARIANTS; do
	case "$v" in
	plain)
		# -O2 (RelWithDebInfo): what gets deployed and benchmarked, and it turns on GCC's flow-based
		# warnings (maybe-uninitialized, format-truncation) as errors too. TEECERT_BUILD_TYPE overrides it.
		variant plain "$BUILD" "-DCMAKE_BUILD_TYPE=${TEECERT_BUILD_TYPE:-RelWithDebInfo}" -DSANITIZE=OFF
		;;
	asan)
		# Debug (-O0): with sanitizers on, GCC's optimisation-dependent warnings are mostly false positives.
		variant asan "$ASAN_BUILD" -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=ON
		;;
	*)
		echo "test.sh: unknown variant '$v' (plain, asan)" >&2
		exit 2
		;;
	esac
	ran+=("$v")
done

# ------------------------------------------------------------------------------------------ 5. summary
say "summary"
for v in "${ran[@]}"; do
	case "$v" in
	plain) echo "build ($BUILD, -DWERROR=ON):" ;;
	asan) echo "build-asan ($ASAN_BUILD, -DSANITIZE=ON -DWERROR=ON):" ;;
	esac
	echo "${SUMMARY[$v]}"
done
if [ "$failed" -ne 0 ]; then
	echo "test.sh: FAILED (see the output above; logs in */ctest-output.log and Testing/Temporary/)" >&2
	exit 1
fi
