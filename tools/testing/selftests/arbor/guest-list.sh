# SPDX-License-Identifier: GPL-2.0
# The list's life cycle: checkpoints and trims. Sourced by guest-tests.sh
# (which defines A, ok, notok and expect_eq): checkpoint_tests runs before
# the list is copied out for the host's replays (evmctl then replays a list
# that holds checkpoints); trim_tests runs last, since a trim drops entries
# the other tests look for.

EPERM=1
ENOENT=2
EINVAL=22
ERANGE=34
EBADMSG=74
ESTALE=116
CAP_MAC_ADMIN=33

# Writes $2 to control file $1 in one write() and prints ok or errno N.
# The value comes through a pipe: a file root reads would be measured.
ctl() { printf '%s' "$2" | arbor-guest write-file "$A/$1" /proc/self/fd/0; }
# arbor's PCR 10 in the software bank $1.
sw() { awk '$1 == "PCR-10:" { print $2 }' "$A/software_pcrs_$1"; }
held() { cat $A/runtime_measurements_count; }
dropped() { cat $A/runtime_measurements_dropped; }
# A u64 as the 16 hex digits of its little-endian bytes.
le64() { printf '%016x' "$1" | awk '{ for (i = 15; i >= 1; i -= 2) printf "%s", substr($0, i, 2); print "" }'; }
# Global index and template digest of the first (or, with "last", the
# last) checkpoint held, from the binary list (a path may hold a newline,
# so the ASCII list's line numbers are not indexes).
checkpoint_at() {
	cat $A/binary_runtime_measurements > /tmp/at.bin
	arbor-guest replay /tmp/at.bin "$(dropped)" | awk -v which="$1" \
		'$1 == "checkpoint" && (which == "last" || i == "") { i = $2; d = $3 } END { print i, d }'
}

checkpoint_tests() {
	expect_eq "checkpoint is mode 0200, owned by root" "$(stat -c '%a %u %g' $A/checkpoint)" "200 0 0"
	expect_eq "trim is mode 0200, owned by root" "$(stat -c '%a %u %g' $A/trim)" "200 0 0"
	expect_eq "runtime_measurements_dropped is mode 0440, owned by root" \
		"$(stat -c '%a %u %g' $A/runtime_measurements_dropped)" "440 0 0"
	expect_eq "no entry is dropped before a trim" "$(dropped)" 0

	# One checkpoint with nothing else running: its payload, byte by byte,
	# from the values the software PCR files showed just before it.
	n=$(held); s1=$(sw sha1); s256=$(sw sha256)
	expect_eq "checkpoint: the software values were read while the list stood still" "$(held)" "$n"
	expect_eq "checkpoint: writing 1 appends one" "$(ctl checkpoint 1)" ok
	expect_eq "checkpoint: ... exactly one entry" "$(held)" $((n + 1))
	line=$(tail -n 1 $A/ascii_runtime_measurements)
	expect_eq "checkpoint: an ima-buf entry named arbor_checkpoint in PCR 10" \
		"$(echo "$line" | awk '{ print $1, $3, $5 }')" "10 ima-buf arbor_checkpoint"
	flags=00000000
	[ -d /sys/class/tpm/tpm0 ] || flags=02000000
	expect_eq "checkpoint: the payload is version 1 with this PCR, its index, nothing dropped and both banks" \
		"$(echo "$line" | awk '{ print $6 }')" \
		"01000000${flags}0a00000002000000$(le64 $n)$(le64 0)04001400${s1}0b002000${s256}"

	# Refusals change nothing.
	n=$(held)
	expect_eq "checkpoint: needs CAP_MAC_ADMIN" \
		"$(arbor-guest write-without-cap $CAP_MAC_ADMIN $A/checkpoint 1)" "errno $EPERM"
	expect_eq "checkpoint: 0 is refused" "$(ctl checkpoint 0)" "errno $EINVAL"
	expect_eq "checkpoint: 2 is refused" "$(ctl checkpoint 2)" "errno $EINVAL"
	expect_eq "checkpoint: a refused write appends nothing" "$(held)" "$n"

	# Checkpoints while other processes append: each must record exactly
	# the values of the entries before it, whatever came in between.
	i=0
	while [ $i -lt 40 ]; do
		printf '#!/bin/sh\necho cp %s\n' $i > /tmp/cp$i
		chmod 755 /tmp/cp$i
		i=$((i + 1))
	done
	pids=
	for w in 0 1; do
		( i=$w; while [ $i -lt 40 ]; do arbor-guest exec /tmp/cp$i > /dev/null; i=$((i + 2)); done ) &
		pids="$pids $!"
	done
	c=0
	while [ $c -lt 20 ]; do
		r=$(ctl checkpoint 1)
		[ "$r" = ok ] || notok "checkpoint: written while others append" "$r"
		c=$((c + 1))
	done
	wait $pids
	# The copy, then the values (opening the copy adds an entry).
	cat $A/binary_runtime_measurements > /tmp/list.bin
	s1=$(sw sha1); s256=$(sw sha256)
	out=$(arbor-guest replay /tmp/list.bin 0 | tail -n 1)
	expect_eq "checkpoint: 21 checkpoints in the list, each equal to the replay before it" \
		"$(echo "$out" | awk '{ print $6 }')" 21
	expect_eq "checkpoint: the replay of the list ends at the software sha1 value" \
		"$(echo "$out" | awk '{ print $2 }')" "$s1"
	expect_eq "checkpoint: the replay of the list ends at the software sha256 value" \
		"$(echo "$out" | awk '{ print $4 }')" "$s256"
	cps=$(awk '$5 ~ /^\/tmp\/cp[0-9]+$/ { print $5 }' $A/ascii_runtime_measurements)
	expect_eq "checkpoint: every program run is in the list once" \
		"$(echo "$cps" | wc -l) $(echo "$cps" | sort -u | wc -l)" "40 40"
}

trim_tests() {
	# arbor is locked: only a signed policy loads. This one measures
	# executions only, so that the reads below add no entries and the
	# counts are exact.
	expect_eq "trim: a policy that measures executions only" \
		"$(arbor-guest write-file $A/policy /arbor-tests/policy/signed-exec-only.p7s)" ok
	expect_eq "checkpoint: written in enforcing mode too" "$(ctl checkpoint 1)" ok
	cat $A/binary_runtime_measurements > /tmp/full.bin
	n=$(held)
	# The first checkpoint: in the middle of the list.
	set -- $(checkpoint_at first)
	ci=$1 cd=$2
	first_digest=$(head -n 1 $A/ascii_runtime_measurements | awk '{ print $2 }')
	expect_eq "trim: the first entry is not a checkpoint" \
		"$(head -n 1 $A/ascii_runtime_measurements | awk '{ print $5 }')" boot_aggregate

	# Every refusal, with its errno; none drops anything.
	expect_eq "trim: needs CAP_MAC_ADMIN" \
		"$(arbor-guest write-without-cap $CAP_MAC_ADMIN $A/trim "$ci $cd")" "errno $EPERM"
	expect_eq "trim: garbage is refused" "$(ctl trim 'all of it')" "errno $EINVAL"
	expect_eq "trim: an index alone is refused" "$(ctl trim "$ci")" "errno $EINVAL"
	expect_eq "trim: a short digest is refused" "$(ctl trim "$ci ${cd%?}")" "errno $EINVAL"
	expect_eq "trim: an index past the end is refused" "$(ctl trim "$n $cd")" "errno $ERANGE"
	expect_eq "trim: a huge index is refused" "$(ctl trim "18446744073709551615 $cd")" "errno $ERANGE"
	expect_eq "trim: an entry that is not a checkpoint is refused" \
		"$(ctl trim "0 $first_digest")" "errno $ENOENT"
	expect_eq "trim: a checkpoint with another digest is refused" \
		"$(ctl trim "$ci 0000000000000000000000000000000000000000")" "errno $EBADMSG"
	expect_eq "trim: refusals drop nothing" "$(dropped) $(held)" "0 $n"

	expect_eq "trim: refusals are logged" "$(dmesg | grep -c 'arbor: trim refused: ')" 7

	# A reader that has read the whole list keeps reading across the trim:
	# it sees the list it started on, then what came after.
	size=$(stat -c %s /tmp/full.bin)
	expect_eq "trim: to a checkpoint, while a reader holds the list open" \
		"$(arbor-guest read-across $A/binary_runtime_measurements $size /tmp/across.bin \
			/bin/busybox sh -c "A=$A; . /etc/arbor/list-tests.sh; ctl trim '$ci $cd' | grep -qx ok && ctl checkpoint 1 | grep -qx ok")" ok
	# Before any file is read (a read adds an entry).
	cat $A/binary_runtime_measurements > /tmp/held.bin
	s1=$(sw sha1); s256=$(sw sha256)
	expect_eq "trim: the entries before it are dropped" "$(dropped)" "$ci"
	expect_eq "trim: the count gives the entries held" "$(held)" $((n - ci + 1))
	expect_eq "trim: the list files start at the checkpoint" \
		"$(head -n 1 $A/ascii_runtime_measurements | awk '{ print $2, $5 }')" "$cd arbor_checkpoint"
	expect_eq "trim: the reader saw the whole list before the trim" \
		"$(head -c $size /tmp/across.bin | cmp - /tmp/full.bin && echo same)" same
	expect_eq "trim: ... then the checkpoint after it, and nothing else" \
		"$(arbor-guest check-list /tmp/across.bin)" "records $((n + 1))"
	expect_eq "trim: the held list is the tail of the untrimmed one" \
		"$(tail -c $(stat -c %s /tmp/held.bin) /tmp/across.bin | cmp - /tmp/held.bin && echo same)" same
	out=$(arbor-guest replay /tmp/held.bin "$ci" | tail -n 1)
	expect_eq "trim: the held list replays from its first checkpoint" \
		"$(echo "$out" | awk '{ print $2, $4 }')" "$s1 $s256"
	expect_eq "trim: the new checkpoint records how many were dropped" \
		"$(awk '$5 == "arbor_checkpoint" { p = $6 } END { print substr(p, 33, 16), substr(p, 49, 16) }' \
			$A/ascii_runtime_measurements)" "$(le64 $n) $(le64 $ci)"
	expect_eq "trim: logged" \
		"$(dmesg | grep -c "arbor: list trimmed: $ci entries dropped; the first held is now entry $ci")" 1

	# Again at the same checkpoint: nothing more to drop. Before it: gone.
	h=$(held)
	expect_eq "trim: again at the first held checkpoint drops nothing" "$(ctl trim "$ci $cd")" ok
	expect_eq "trim: an index already dropped is refused" "$(ctl trim "0 $first_digest")" "errno $ESTALE"
	expect_eq "trim: ... and drops nothing" "$(dropped) $(held)" "$ci $h"

	# A reader that stopped before the checkpoint cannot be given a list
	# with a gap: its next read fails.
	ctl checkpoint 1 > /dev/null
	set -- $(checkpoint_at last)
	expect_eq "trim: a reader whose next entry is dropped gets ESTALE" \
		"$(arbor-guest read-across $A/binary_runtime_measurements 1 /tmp/stale.bin \
			/bin/busybox sh -c "A=$A; . /etc/arbor/list-tests.sh; ctl trim '$1 $2' | grep -qx ok")" "errno $ESTALE"
	expect_eq "trim: ... after the rest of the entry it had started" \
		"$(arbor-guest check-list /tmp/stale.bin)" "records 1"
	expect_eq "trim: a new reader starts at the first held entry" \
		"$(head -n 1 $A/ascii_runtime_measurements | awk '{ print $2 }')" "$2"
}
