#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""keylime's own verification of a measurement list arbor wrote.

Usage: keylime-check.py OUTDIR POLICY.json OMIT_PATH

OUTDIR holds what the keylime guest handed over: the ASCII list and the
TPM's PCRs (evmctl's format), read before the list. POLICY.json is the
runtime policy `arbor keylime-policy` made from the initramfs the guest
booted. keylime.ima.ima.process_measurement_list, the function keylime's
verifier runs on every attestation, must accept the whole list against the
PCR-10 value in both banks; with OMIT_PATH left out of the policy it must
report that file, and only it. Prints `ok - ...` / `not ok - ...` lines.
"""

import copy
import hashlib
import json
import logging
import sys

# keylime logs through its own configuration, which this machine has not.
logging.disable(logging.CRITICAL)

from keylime.common.algorithms import Hash  # noqa: E402
from keylime.ima import ima  # noqa: E402

checks = []


def check(name, passed, detail=""):
    checks.append(passed)
    print(f"{'ok' if passed else 'not ok'} - keylime: {name}" + ("" if passed else f": {detail}"))


def pcrs(path):
    """PCR index -> hex value, from an evmctl-format file."""
    out = {}
    with open(path, encoding="ascii") as f:
        for line in f:
            key, value = line.split(":", 1)
            out[int(key.removeprefix("PCR-"))] = value.strip()
    return out


def events(failure):
    return [(e.event_id, json.loads(e.context)) for e in failure.events]


def main():
    outdir, policy_path, omit = sys.argv[1:4]
    with open(f"{outdir}/ascii_runtime_measurements", encoding="utf-8") as f:
        lines = f.read().splitlines(keepends=True)
    with open(policy_path, encoding="utf-8") as f:
        policy = json.load(f)
    try:
        ima.validate_runtime_policy(policy)
        check("the runtime policy arbor wrote passes keylime's schema", True)
    except Exception as e:  # keylime raises its own error type
        check("the runtime policy arbor wrote passes keylime's schema", False, str(e))

    banks = {Hash.SHA1: pcrs(f"{outdir}/tpm_pcrs_sha1"), Hash.SHA256: pcrs(f"{outdir}/tpm_pcrs_sha256")}
    # boot_aggregate as IMA defines it, from the TPM's PCRs 0-9 of the
    # SHA-256 bank: keylime takes it from the measured boot log, which this
    # guest has not, so it is computed here from the PCR values.
    aggregate = hashlib.sha256(b"".join(bytes.fromhex(banks[Hash.SHA256][i]) for i in range(10))).hexdigest()
    boot_aggregates = {"sha256": [aggregate]}
    measured = [line.split(" ", 4)[4].rstrip("\n") for line in lines]
    check(f"the list has {len(lines)} entries, {omit} among them", omit in measured, f"paths: {measured}")

    def run(runtime_policy, pcrval, alg=Hash.SHA256):
        """keylime's verification of the whole list; the events it reports."""
        _, failure = ima.process_measurement_list(
            None,
            lines,
            runtime_policy=runtime_policy,
            pcrval=pcrval,
            boot_aggregates=boot_aggregates,
            hash_alg=alg,
        )
        return events(failure)

    for alg, values in banks.items():
        found = run(copy.deepcopy(policy), values[10], alg)
        check(f"{alg.value} bank: the whole list matches PCR 10 and the policy", not found, found)

    pcr10 = banks[Hash.SHA256][10]
    partial = copy.deepcopy(policy)
    del partial["digests"][omit]
    found = run(partial, pcr10)
    want = [("ima.validation.ima-ng.not_in_allowlist", {"message": f"File not found in allowlist: {omit}"})]
    # One event per entry of the omitted file (it may be measured again).
    check(f"a policy without {omit} fails on that file alone", found and set(map(str, found)) == set(map(str, want)), found)

    tampered = copy.deepcopy(policy)
    tampered["digests"][omit] = ["00" * 32]
    ids = {e for e, _ in run(tampered, pcr10)}
    check(f"a policy with another hash for {omit} fails on its hash", ids == {"ima.validation.ima-ng.runtime_policy_hash"}, ids)

    ids = {e for e, _ in run(copy.deepcopy(policy), "ff" * 32)}
    check("another PCR-10 value fails", "ima.pcr_mismatch" in ids, ids)

    # The checkpoint: an ima-buf record keylime parses, and judges as a
    # file unless the policy excludes its name, as arbor's does.
    check("the list holds a checkpoint, as ima-buf",
          any(line.split(" ")[2:5:2] == ["ima-buf", "arbor_checkpoint"] for line in lines))
    check("arbor's policy excludes checkpoints", "^arbor_checkpoint$" in policy["excludes"], policy["excludes"])
    bare = copy.deepcopy(policy)
    bare["excludes"] = [e for e in bare["excludes"] if e != "^arbor_checkpoint$"]
    found = run(bare, pcr10)
    want = [("ima.validation.ima-ng.not_in_allowlist", {"message": "File not found in allowlist: arbor_checkpoint"})]
    check("without that exclude, keylime reports the checkpoint alone", set(map(str, found)) == set(map(str, want)), found)
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
