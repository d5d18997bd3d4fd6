# SPDX-License-Identifier: GPL-2.0
# Digest-list tests; sourced by guest-tests.sh (which defines A, T, ok,
# notok, expect_eq, expect_run and entries_for). Leaves no list loaded,
# the default policy in force and the mode permissive.

L=$T/lists
D=/tmp/dl
mkdir -p $D
chmod 755 $D
# The programs, on tmpfs without any extended attribute, except those
# signed by the trusted key.
cp $L/bin/* $D/
arbor-guest setxattr $D/prog-revoked security.arbor $L/sig/prog-revoked
arbor-guest setxattr $D/prog-signed security.arbor $L/sig/prog-signed
# dl_write NODE PATH: writes PATH to NODE in one write(); prints ok or errno N.
dl_write() { printf '%s' "$2" > /tmp/dl.path; arbor-guest write-file "$A/$1" /tmp/dl.path; }
dl_load() { dl_write digest_list_load "$1"; }
dl_remove() { dl_write digest_list_remove "$1"; }
sha() { awk -v l="$1" '$1 == l { print $2 }' $L/expected-sha256; }
# The entries of list loads and removals.
list_entries() { awk '$5 ~ /^arbor_digest_list/' $A/ascii_runtime_measurements | grep -c .; }
EACCES=13

expect_eq "digest_lists is mode 0440, owned by root" "$(stat -c '%a %u %g' $A/digest_lists)" "440 0 0"
expect_eq "digest_list_load is mode 0200, owned by root" "$(stat -c '%a %u %g' $A/digest_list_load)" "200 0 0"
expect_eq "digest_list_remove is mode 0200, owned by root" "$(stat -c '%a %u %g' $A/digest_list_remove)" "200 0 0"
expect_eq "no list is loaded at boot" "$(cat $A/digest_lists)" ""

# --- before any list: the unsigned programs are refused ---
echo 1 > $A/enforce
expect_run "[enforce=1] no list: an unsigned program is refused" $D/prog-listed "exec-errno $EACCES"
expect_run "[enforce=1] no list: a signed program runs" $D/prog-revoked hello
echo 0 > $A/enforce

# --- bad lists: refused whole, with nothing measured or loaded ---
refused() { # NAME PATH ERRNO CAUSE
	local before
	before=$(list_entries)
	expect_eq "refused ($1): errno $3" "$(dl_load "$2")" "errno $3"
	expect_eq "refused ($1): nothing loaded" "$(cat $A/digest_lists)" ""
	expect_eq "refused ($1): nothing measured" "$(list_entries)" "$before"
	expect_eq "refused ($1): the log names the cause" \
		"$(dmesg | grep -cF "arbor: digest list $2 refused: $4 (error -$3)")" 1
}
refused "unsigned" $L/bad-unsigned.dl 61 unsigned
refused "key not trusted" $L/bad-untrusted.dl 126 unknown_key
refused "tampered after signing" $L/bad-tampered.dl 129 bad_signature
refused "truncated" $L/bad-truncated.dl 74 truncated
refused "digests out of order" $L/bad-unsorted.dl 74 unsorted
refused "reserved field set" $L/bad-reserved.dl 74 malformed
refused "garbage" $L/bad-garbage.dl 74 malformed
: > /tmp/empty.dl
refused "empty file" /tmp/empty.dl 22 unreadable
# Larger than the kernel takes (128 MiB); sparse, so it costs no memory.
truncate -s 129M /tmp/huge.dl
refused "oversized" /tmp/huge.dl 27 too_big
rm -f /tmp/huge.dl
refused "no such file" /tmp/no-such.dl 2 unreadable
expect_eq "refused (relative path): EINVAL" "$(dl_load lists/allow.dl)" "errno 22"
expect_eq "loading needs CAP_MAC_ADMIN" \
	"$(arbor-guest write-without-cap 33 $A/digest_list_load $L/allow.dl)" "errno 1"
expect_eq "removing needs CAP_MAC_ADMIN" \
	"$(arbor-guest write-without-cap 33 $A/digest_list_remove $L/allow.dl)" "errno 1"
expect_eq "removing a list never loaded: ENOENT" "$(dl_remove $L/allow.dl)" "errno 2"
expect_eq "removing a list never loaded: the log says so" \
	"$(dmesg | grep -cF "arbor: removal of digest list $L/allow.dl refused: not_loaded (error -2)")" 1
expect_eq "after the refusals, no list is loaded" "$(cat $A/digest_lists)" ""

# --- an allow list: its files run in enforcing mode, without xattrs ---
before=$(list_entries)
expect_eq "allow list (arbor digest-list sign) loads" "$(dl_load $L/allow.dl)" ok
expect_eq "the load is measured: one entry" "$(( $(list_entries) - before ))" 1
expect_eq "the load's entry records the list's SHA-256 and path" \
	"$(entries_for "arbor_digest_list:$L/allow.dl" | awk '{print $4}')" "ima:sha256:$(sha allow)"
expect_eq "digest_lists shows the list" "$(cat $A/digest_lists)" \
	"allow 8 sha256 $(sha allow) $L/allow.dl"
expect_eq "the load is logged" "$(dmesg | grep -cF "arbor: digest list $L/allow.dl loaded: allow list, 8 digests")" 1
expect_eq "the same list again: EEXIST" "$(dl_load $L/allow.dl)" "errno 17"
cp $L/allow.dl /tmp/allow-copy.dl
expect_eq "the same list under another name: EEXIST" "$(dl_load /tmp/allow-copy.dl)" "errno 17"
expect_eq "the same digests signed by another tool: EEXIST" "$(dl_load $L/openssl-signed.dl)" "errno 17"
expect_eq "allow list 2 loads" "$(dl_load $L/allow2.dl)" ok
echo 1 > $A/enforce
# prog-listed was refused above: the load dropped that verdict at once.
expect_run "[enforce=1] a listed program without a signature runs" $D/prog-listed hello
expect_run "[enforce=1] a program of the second list runs" $D/prog-listed2 hello
expect_run "[enforce=1] an unlisted program without a signature is refused" $D/prog-unlisted "exec-errno $EACCES"
expect_run "[enforce=1] a listed program can be mapped executable" $D/prog-listed hello
expect_eq "[enforce=1] mmap(PROT_EXEC) of a listed file" "$(arbor-guest mmap-exec $D/prog-listed2)" ok
# Listed, then changed: another digest, not in the list.
cp $D/prog-listed $D/prog-listed-copy
printf X >> $D/prog-listed-copy
expect_run "[enforce=1] a listed program, modified, is refused" $D/prog-listed-copy "exec-errno $EACCES"
echo 0 > $A/enforce

# --- removal ---
before=$(list_entries)
expect_eq "allow list 2 is removed" "$(dl_remove $L/allow2.dl)" ok
expect_eq "the removal is measured: one entry" "$(( $(list_entries) - before ))" 1
expect_eq "the removal's entry records the list's SHA-256 and path" \
	"$(entries_for "arbor_digest_list_removed:$L/allow2.dl" | awk '{print $4}')" "ima:sha256:$(sha allow2)"
expect_eq "digest_lists no longer shows it" "$(cat $A/digest_lists | awk '{print $5}')" "$L/allow.dl"
echo 1 > $A/enforce
expect_run "[enforce=1] after its list's removal, the program is refused" $D/prog-listed2 "exec-errno $EACCES"
expect_run "[enforce=1] the other list's program still runs" $D/prog-listed hello
echo 0 > $A/enforce

# --- revocation beats a valid signature ---
echo 1 > $A/enforce
expect_run "[enforce=1] before revocation, the signed program runs" $D/prog-revoked hello
echo 0 > $A/enforce
expect_eq "revoke list loads" "$(dl_load $L/revoke.dl)" ok
echo 1 > $A/enforce
expect_run "[enforce=1] a revoked program is refused despite its valid signature" $D/prog-revoked "exec-errno $EACCES"
expect_eq "[enforce=1] the refusal says revoked" \
	"$(dmesg | grep -c "arbor: exec: $D/prog-revoked: untrusted (revoked): denied")" 1
expect_eq "[enforce=1] mmap(PROT_EXEC) of the revoked file is refused" \
	"$(arbor-guest mmap-exec $D/prog-revoked)" "errno $EACCES"
expect_run "[enforce=1] other signed programs still run" $D/prog-signed hello
echo 0 > $A/enforce
expect_eq "revoke list is removed" "$(dl_remove $L/revoke.dl)" ok
echo 1 > $A/enforce
expect_run "[enforce=1] once the revoke list is removed, the signed program runs again" $D/prog-revoked hello
echo 0 > $A/enforce

# --- the policy says what may vouch: appraise_by= ---
# Only for the test programs (owned by uid 1234 for this): the guest's own
# tools are signed and in no list.
chown 1234 $D/prog-*
by_policy() { # APPRAISE-BY
	printf '%s\n' "measure func=BPRM_CHECK" \
		"appraise func=BPRM_CHECK fowner=1234 appraise_by=$1" \
		"appraise func=BPRM_CHECK" "appraise func=MMAP_CHECK mask=^MAY_EXEC" > /tmp/by.txt
	arbor-guest write-file $A/policy /tmp/by.txt
}
expect_eq "policy with appraise_by=signature loads" "$(by_policy signature)" ok
echo 1 > $A/enforce
expect_run "[enforce=1] appraise_by=signature: a listed program without a signature is refused" \
	$D/prog-listed "exec-errno $EACCES"
expect_run "[enforce=1] appraise_by=signature: a signed program runs" $D/prog-signed hello
echo 0 > $A/enforce
expect_eq "policy with appraise_by=list loads" "$(by_policy list)" ok
echo 1 > $A/enforce
expect_run "[enforce=1] appraise_by=list: a listed program runs" $D/prog-listed hello
expect_run "[enforce=1] appraise_by=list: a signed program no list holds is refused" \
	$D/prog-signed "exec-errno $EACCES"
expect_eq "[enforce=1] appraise_by=list: the refusal says why" \
	"$(dmesg | grep -c "arbor: exec: $D/prog-signed: untrusted (in no allow list): denied")" 1
echo 0 > $A/enforce
printf '%s\n' "$default" > /tmp/default.txt
expect_eq "the default policy is restored" "$(arbor-guest write-file $A/policy /tmp/default.txt)" ok

# --- the same digests, signed with OpenSSL rather than arbor's tool ---
expect_eq "the allow list is removed" "$(dl_remove $L/allow.dl)" ok
expect_eq "the list signed with OpenSSL loads" "$(dl_load $L/openssl-signed.dl)" ok
expect_eq "its entry records its own SHA-256" \
	"$(entries_for "arbor_digest_list:$L/openssl-signed.dl" | awk '{print $4}')" "ima:sha256:$(sha openssl-signed)"
echo 1 > $A/enforce
expect_run "[enforce=1] the OpenSSL-signed list vouches for its program" $D/prog-listed hello
echo 0 > $A/enforce
expect_eq "the OpenSSL-signed list is removed" "$(dl_remove $L/openssl-signed.dl)" ok
expect_eq "no list is loaded at the end" "$(cat $A/digest_lists)" ""
