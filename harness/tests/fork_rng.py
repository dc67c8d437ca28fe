#!/usr/bin/python3
"""Sibling scenario processes forked from one warm host must never share
random state (issue #15): every ClientHello random, ServerHello random,
non-empty session id and key share in the transcripts of one run must be
distinct across instances.

Usage: fork_rng.py TLSHARNESS [BACKEND...]   (default: every built backend)

For each backend it runs the trust and identity rows twice: with the default
endpoints (both sides in the scenario process, a child of the backend's
warm host) and with --endpoints oop (both sides in endpoint children of the
warm host). Before that it checks itself: a transcript duplicated under a
second name must be reported, so the check can fail.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HRR_RANDOM = bytes.fromhex(
    "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")


def segments(data):
    if data[:8] != b"TLSHTR01":
        raise ValueError("not a TLSHTR01 transcript")
    off, out = 8, {0: bytearray(), 1: bytearray()}
    while off + 5 <= len(data):
        d = data[off]
        n = struct.unpack(">I", data[off + 1:off + 5])[0]
        out[d] += data[off + 5:off + 5 + n]
        off += 5 + n
    return out


def handshake_stream(wire):
    """Plaintext handshake bytes up to the first record of another type."""
    hs, off = bytearray(), 0
    while off + 5 <= len(wire):
        ctype = wire[off]
        n = struct.unpack(">H", wire[off + 3:off + 5])[0]
        if ctype == 21:  # a plaintext alert may come first; nothing after it
            break
        if ctype != 22:
            break
        hs += wire[off + 5:off + 5 + n]
        off += 5 + n
    return bytes(hs)


def messages(hs):
    off = 0
    while off + 4 <= len(hs):
        t = hs[off]
        n = int.from_bytes(hs[off + 1:off + 4], "big")
        if off + 4 + n > len(hs):
            return
        yield t, hs[off + 4:off + 4 + n]
        off += 4 + n


def extensions(body, off):
    if off + 2 > len(body):
        return
    end = off + 2 + int.from_bytes(body[off:off + 2], "big")
    off += 2
    while off + 4 <= min(end, len(body)):
        t = int.from_bytes(body[off:off + 2], "big")
        n = int.from_bytes(body[off + 2:off + 4], "big")
        yield t, body[off + 4:off + 4 + n]
        off += 4 + n


def hello_values(body, client):
    """(random, session id, [key_exchange...]) of a ClientHello/ServerHello."""
    random = body[2:34]
    sid_len = body[34]
    sid = body[35:35 + sid_len]
    off = 35 + sid_len
    if client:
        off += 2 + int.from_bytes(body[off:off + 2], "big")  # cipher suites
        off += 1 + body[off]  # compression methods
    else:
        off += 3  # cipher suite, compression method
    shares = []
    for t, ext in extensions(body, off):
        if t != 51:
            continue
        if client:
            p = 2
            while p + 4 <= len(ext):
                n = int.from_bytes(ext[p + 2:p + 4], "big")
                shares.append(bytes(ext[p + 4:p + 4 + n]))
                p += 4 + n
        elif len(ext) >= 4:
            n = int.from_bytes(ext[2:4], "big")
            shares.append(bytes(ext[4:4 + n]))
    return bytes(random), bytes(sid), shares


def values_of(path):
    """Every random value a transcript carries, labelled."""
    segs = segments(open(path, "rb").read())
    found = []
    for d, client in ((0, True), (1, False)):
        for t, body in messages(handshake_stream(segs[d])):
            if t not in (1, 2) or len(body) < 35:
                continue
            who = "ClientHello" if client else "ServerHello"
            random, sid, shares = hello_values(body, client)
            if random != HRR_RANDOM:
                found.append((who + " random", random))
            if sid:
                found.append((who + " session id", sid))
            for s in shares:
                found.append((who + " key share", s))
    return found


def duplicates(paths):
    """Values seen in more than one transcript: [(label, hex, files)]."""
    seen = {}
    for p in paths:
        for label, v in values_of(p):
            seen.setdefault((label, v), set()).add(p)
    return [(label, v.hex()[:16], sorted(f)) for (label, v), f in seen.items()
            if len(f) > 1]


def transcripts(out):
    root = os.path.join(out, "transcripts")
    paths = []
    for d, _, files in os.walk(root):
        paths += [os.path.join(d, f) for f in files if f.endswith(".tlstr")]
    return sorted(paths)


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[-9], file=sys.stderr)
        return 2
    bin_ = sys.argv[1]
    names = sys.argv[2:] or subprocess.run(
        [bin_, "backends"], check=True, capture_output=True, text=True).stdout.split()
    # The PEP 748 bridge needs a Python implementation named.
    names = ["pep748:tlsh_pep748.stdlib:IMPLEMENTATION" if x == "pep748" else x
             for x in names]
    tmp = tempfile.mkdtemp(prefix="fork-rng-")
    n = bad = 0

    def ok(cond, what):
        nonlocal n, bad
        n += 1
        print(("ok" if cond else "not ok") + f" {n} - {what}")
        bad += 0 if cond else 1

    try:
        for name in names:
            for mode in ("auto", "oop"):
                out = os.path.join(tmp, f"{name.split(':')[0]}-{mode}")
                # Full handshakes with certificates, enough siblings (about
                # 90 per backend) without the whole handshake family.
                subprocess.run([bin_, "run", "--impl", name, "--endpoints", mode,
                                "-f", "handshake/trust/*", "-f", "handshake/identity/*",
                                "-j", "2", "-q", "--no-expectations",
                                "-o", out], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
                paths = transcripts(out)
                hellos = sum(1 for p in paths for label, _ in values_of(p)
                             if label == "ClientHello random")
                dup = duplicates(paths)
                ok(hellos >= 20 and not dup,
                   f"{name} ({mode}): {hellos} ClientHellos in {len(paths)} sibling "
                   f"instances, no random value shared"
                   + "".join(f"\n#   shared {l} {h}... by {len(f)} instances: "
                             f"{', '.join(os.path.basename(x) for x in f[:3])}"
                             for l, h, f in dup[:5]))
                if mode == "auto" and name == names[0] and paths:
                    # The check must be able to fail: one instance's
                    # transcript twice is two siblings that shared state.
                    twin = paths[0] + ".twin.tlstr"
                    shutil.copy(paths[0], twin)
                    ok(any(twin in f for _, _, f in duplicates(paths + [twin])),
                       "self-check: a transcript duplicated under a second name is caught")
                    os.unlink(twin)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"1..{n}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
