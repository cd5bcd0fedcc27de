#!/usr/bin/env bash
# ci/gate.sh - the performance gate on any CI: base against candidate with
# `meshbench gate`, outputs in one directory, an exit code a CI job can use.
# Inputs, outputs and exit codes: ci/README.md.
set -uo pipefail

say() { printf 'gate.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 3; }

OUT=${GATE_OUT:-gate-out}
SCENARIO=${GATE_SCENARIO:-scenarios/synthetic/gate.yaml}
BASE_BIN=${GATE_BASE_BIN:-}
CAND_BIN=${GATE_CANDIDATE_BIN:-}
BASE_REV=${GATE_BASE_REV:-}
CAND_REV=${GATE_CANDIDATE_REV:-}
MESHBENCH=${GATE_MESHBENCH:-}
STRICT=${GATE_STRICT:-0}
read -r -a EXTRA <<<"${GATE_ARGS:-}"

# Exactly one way to give each side.
if [[ -n $BASE_BIN && -n $BASE_REV || -z $BASE_BIN && -z $BASE_REV ]]; then
	die "give the base as exactly one of GATE_BASE_BIN (a directory of prebuilt binaries) or GATE_BASE_REV (a git revision)"
fi
if [[ -n $CAND_BIN && -n $CAND_REV || -z $CAND_BIN && -z $CAND_REV ]]; then
	die "give the candidate as exactly one of GATE_CANDIDATE_BIN or GATE_CANDIDATE_REV"
fi
for d in "$BASE_BIN" "$CAND_BIN"; do
	[[ -z $d ]] && continue
	for b in meshbench meshproxy meshcontrol; do
		[[ -x $d/$b ]] || die "$d/$b: not an executable (GATE_BASE_BIN and GATE_CANDIDATE_BIN must hold meshbench, meshproxy and meshcontrol)"
	done
done
[[ -f $SCENARIO ]] || die "GATE_SCENARIO=$SCENARIO: no such file"
mkdir -p "$OUT" || die "GATE_OUT=$OUT: cannot create"

# The driver: the base's meshbench when the base is prebuilt (the candidate
# must not bring its own yardstick), else GATE_MESHBENCH, else one built
# from this checkout.
if [[ -z $MESHBENCH ]]; then
	if [[ -n $BASE_BIN ]]; then
		MESHBENCH=$BASE_BIN/meshbench
	else
		say "building the driver (./cmd/meshbench) into $OUT/driver"
		go build -tags grpcnotrace -o "$OUT/driver/" ./cmd/meshbench || die "go build ./cmd/meshbench failed"
		MESHBENCH=$OUT/driver/meshbench
	fi
fi
[[ -x $MESHBENCH ]] || die "GATE_MESHBENCH=$MESHBENCH: not an executable"

args=(gate -f "$SCENARIO" -o "$OUT" -q)
if [[ -n $BASE_BIN ]]; then args+=(--base-bin "$BASE_BIN"); else args+=(--base "$BASE_REV"); fi
if [[ -n $CAND_BIN ]]; then args+=(--candidate-bin "$CAND_BIN"); else args+=(--candidate "$CAND_REV"); fi
args+=("${EXTRA[@]}")

say "$MESHBENCH ${args[*]}"
"$MESHBENCH" "${args[@]}" 2>&1 | tee "$OUT/gate.log"
code=${PIPESTATUS[0]}

case $code in
0) verdict=PASS ;;
1) verdict=FAIL ;;
2) verdict=INCONCLUSIVE ;;
*) verdict=ERROR ;;
esac
echo "$verdict" >"$OUT/verdict"

# The reason: the gated rows that decided, from the terminal table
# ("  metric  base  candidate  delta [lo, hi]  p  p(holm)  n  threshold  VERDICT  (note)").
rows() { awk -v v="$1" '/^  [^ ]/ && index($0, "  " v) { sub(/^  /, ""); split($0, f, /  +/); printf "%s%s", sep, f[1]; sep=", " }' "$OUT/gate.log"; }
case $verdict in
PASS) reason="every gated metric within its threshold" ;;
FAIL) reason="regression in $(rows FAIL)" ;;
INCONCLUSIVE) reason="the evidence cannot tell a regression from noise in $(rows INCONCLUSIVE)" ;;
ERROR) reason="meshbench gate exited $code: $(grep '^meshbench: ' "$OUT/gate.log" | tail -1)" ;;
esac
echo "$reason" >"$OUT/reason"

summary=${GATE_SUMMARY_FILE:-${GITHUB_STEP_SUMMARY:-}}
if [[ -n $summary && -f $OUT/summary.md ]]; then
	cat "$OUT/summary.md" >>"$summary"
fi

# GitHub Actions annotations; plain lines elsewhere.
annotate() {
	if [[ ${GITHUB_ACTIONS:-} == true ]]; then echo "::$1 title=performance gate::$2"; else say "$1: $2"; fi
}
case $verdict in
PASS) say "PASS: $reason"; exit 0 ;;
FAIL) annotate error "FAIL: $reason"; exit 1 ;;
INCONCLUSIVE)
	annotate warning "INCONCLUSIVE: $reason"
	[[ $STRICT == 1 ]] && exit 2
	exit 0
	;;
*) annotate error "$reason"; exit 3 ;;
esac
