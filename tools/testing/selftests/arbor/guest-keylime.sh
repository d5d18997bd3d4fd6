# SPDX-License-Identifier: GPL-2.0
# Booted with arbor.template=ima-ng and a TPM: a short workload of files
# from the initramfs, then the TPM's PCRs and the list, for keylime's
# verifier on the host (keylime-check.py). Only files that ship in the
# initramfs may be measured, so that a runtime policy made from it covers
# the whole list: nothing here reads a file created at run time as root.
A=/sys/kernel/security/arbor
ok() { echo "ok - keylime guest: $1"; }
notok() { echo "not ok - keylime guest: $1${2:+: $2}"; }

arbor-guest exec /bin/busybox true > /dev/null
/arbor-tests/attack/script-good > /dev/null
cat /etc/arbor/job > /dev/null
# A checkpoint: keylime parses it as an ima-buf record.
printf 1 | arbor-guest write-file $A/checkpoint /proc/self/fd/0 > /dev/null
case "$(head -n 1 $A/ascii_runtime_measurements)" in
"10 "*" ima-ng sha256:"*" boot_aggregate") ok "boot_aggregate is an ima-ng entry in PCR 10" ;;
*) notok "boot_aggregate is an ima-ng entry in PCR 10" "$(head -n 1 $A/ascii_runtime_measurements)" ;;
esac
if [ -d /sys/class/tpm/tpm0/pcr-sha256 ]; then
	ok "a TPM is present (swtpm)"
else
	notok "a TPM is present (swtpm)"
fi
# The quote comes before the list, as keylime's agent takes them: the
# list may run ahead of the PCR value, never behind it.
for bank in sha1 sha256; do
	arbor-guest pcrs $bank > /out/tpm_pcrs_$bank
done
cat $A/binary_runtime_measurements > /out/binary_runtime_measurements
cat $A/ascii_runtime_measurements > /out/ascii_runtime_measurements
