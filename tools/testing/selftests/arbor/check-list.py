#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check a measurement list copied out of an arbor guest, independently of
arbor's own code: parse the binary list as IMA defines it, recompute every
template digest, render each record as IMA's ASCII list does and compare
with the guest's ascii_runtime_measurements, and replay the SHA-1 and
SHA-256 PCR banks against the guest's software_pcrs_* files.

Prints one "ok - ..." / "not ok - ..." line per check; exits 1 on failure.
"""
import hashlib
import struct
import sys


def records(blob):
    off = 0
    while off < len(blob):
        pcr, digest, name_len = struct.unpack_from("<I20sI", blob, off)
        off += 28
        name = blob[off:off + name_len]
        off += name_len
        (data_len,) = struct.unpack_from("<I", blob, off)
        off += 4
        data = blob[off:off + data_len]
        if len(data) != data_len:
            raise ValueError("truncated record")
        off += data_len
        fields = []
        p = 0
        while p < len(data):
            (flen,) = struct.unpack_from("<I", data, p)
            fields.append(data[p + 4:p + 4 + flen])
            p += 4 + flen
        yield pcr, digest, name.decode(), data, fields


def render(pcr, digest, name, fields):
    kinds = {"ima-ngv2": ["d", "n"], "ima-ng": ["d", "n"], "ima-sigv2": ["d", "n", "x"],
             "ima-sig": ["d", "n", "x"], "ima-buf": ["d", "n", "x"]}[name]
    out = ["%2d" % pcr, digest.hex(), name]
    for kind, f in zip(kinds, fields):
        if kind == "d":
            prefix, raw = f.split(b"\0", 1)
            out.append(prefix.decode() + raw.hex())
        elif kind == "n":
            out.append(f.rstrip(b"\0").decode(errors="surrogateescape"))
        else:
            out.append(f.hex())
    return " ".join(out)


def checkpoint(payload):
    """The fields of a checkpoint payload, version 1, as documented: the
    header, then (alg, digest) per bank; None if it is not exactly that."""
    if len(payload) < 32:
        return None
    version, flags, pcr, nbanks, index, dropped = struct.unpack_from("<IIIIQQ", payload, 0)
    banks, off = {}, 32
    for _ in range(nbanks):
        if off + 4 > len(payload):
            return None
        alg, size = struct.unpack_from("<HH", payload, off)
        banks[alg] = payload[off + 4:off + 4 + size]
        off += 4 + size
    if version != 1 or off != len(payload) or flags & ~3:
        return None
    return {"flags": flags, "pcr": pcr, "index": index, "dropped": dropped, "banks": banks}


def read_pcrs(path, index):
    for line in open(path):
        if line.startswith("PCR-%02d:" % index):
            return bytes.fromhex(line.split(":", 1)[1].strip())
    raise ValueError("no PCR-%02d in %s" % (index, path))


def main(outdir, pcr_index, label="host"):
    failures = 0

    def check(name, cond, why=""):
        nonlocal failures
        name = name.replace("host:", label + ":", 1)
        print(("ok - %s" % name) if cond else ("not ok - %s: %s" % (name, why)))
        failures += 0 if cond else 1

    blob = open(outdir + "/binary_runtime_measurements", "rb").read()
    recs = list(records(blob))
    # A violation (IMA's convention) has an all-zero template digest and an
    # all-zero file digest, and extends every bank with all-0xFF.
    zero = bytes(20)
    violations = [i for i, (_, d, _, _, _) in enumerate(recs) if d == zero]
    bad = [i for i, (_, d, _, data, _) in enumerate(recs)
           if d != zero and hashlib.sha1(data).digest() != d]
    check("host: every template digest is SHA-1 over its template data (or zero, for violations)",
          not bad, "records %s" % bad[:5])
    bad = [i for i in violations if set(recs[i][4][0].split(b"\0", 1)[1]) - {0}]
    check("host: every violation records an all-zero file digest", not bad, "records %s" % bad[:5])
    try:
        counted = int(open(outdir + "/violations").read())
    except OSError:
        counted = None
    check("host: the violations node counts the violation records",
          counted == len(violations), "%s != %s" % (counted, len(violations)))
    check("host: every record names PCR %d" % pcr_index, all(r[0] == pcr_index for r in recs))

    ascii_lines = open(outdir + "/ascii_runtime_measurements").read().splitlines()
    rendered = [render(p, d, n, f) for p, d, n, _, f in recs]
    first = next((i for i, (a, b) in enumerate(zip(ascii_lines, rendered)) if a != b), None)
    check("host: ASCII list equals the binary list rendered independently",
          len(ascii_lines) == len(rendered) and first is None,
          "line %s: %r != %r" % (first, ascii_lines[first] if first is not None else None,
                                 rendered[first] if first is not None else None))

    # Checkpoints: ima-buf records named arbor_checkpoint whose payload
    # records their own index and the values replayed up to them.
    cps = [i for i, r in enumerate(recs) if r[2] == "ima-buf" and r[4][1] == b"arbor_checkpoint\0"]
    bad = []
    for i in cps:
        prefix, raw = recs[i][4][0].split(b"\0", 1)
        c = checkpoint(recs[i][4][2])
        if prefix != b"sha256:" or raw != hashlib.sha256(recs[i][4][2]).digest() or c is None:
            bad.append(i)
        elif c["index"] != i or c["dropped"] != 0 or c["pcr"] != pcr_index \
                or bool(c["flags"] & 2) != (label != "host"):
            bad.append(i)
    # The main guest writes 21 checkpoints, the guest without a TPM one;
    # both after violations.
    want = 21 if label == "host" else 1
    check("host: the list holds the %d checkpoint(s) the guest wrote" % want, len(cps) == want,
          "%d checkpoints" % len(cps))
    check("host: a checkpoint follows a violation", any(v < c for v in violations for c in cps))
    check("host: every checkpoint's payload has the documented layout, its own index and digest",
          not bad, "records %s" % bad[:5])
    for bank, h, size in (("sha1", hashlib.sha1, 20), ("sha256", hashlib.sha256, 32)):
        value = bytes(size)
        bad = []
        alg = {"sha1": 0x0004, "sha256": 0x000b}[bank]
        for i, (_, d, _, data, _) in enumerate(recs):
            if i in cps and checkpoint(recs[i][4][2])["banks"].get(alg) != value:
                bad.append(i)
            if d == zero:
                ext = b"\xff" * size
            else:
                ext = d if bank == "sha1" else h(data).digest()
            value = h(value + ext).digest()
        check("host: every checkpoint records the %s replay of the entries before it" % bank,
              not bad, "records %s" % bad[:5])
        reported = read_pcrs("%s/software_pcrs_%s" % (outdir, bank), pcr_index)
        check("host: %s replay equals arbor's software PCR" % bank, value == reported,
              "%s != %s" % (value.hex(), reported.hex()))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), *sys.argv[3:4]))
