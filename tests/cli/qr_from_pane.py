#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# qr_from_pane.py: turn the half-block QR code in a captured terminal pane back into an image
# (PGM), as a phone's camera would see the screen: each character cell is two modules high.
# Usage: qr_from_pane.py [--invert] PANE.txt OUT.pgm; exit 1 if the pane holds no QR code.
# --invert: the blocks are the light modules (pam_totp's prompt, like `qrencode -t UTF8`: black
# on white on a dark terminal), the spaces the dark ones.
import sys

BLOCKS = {"\u2588": (1, 1), "\u2580": (1, 0), "\u2584": (0, 1), " ": (0, 0)}
SCALE = 6    # pixels per module
MARGIN = 4   # light modules added around what the pane shows (the screen around it)


def qr_lines(lines):
    """The longest run of lines made only of half blocks and spaces, holding some blocks."""
    best, run = [], []
    for line in lines + [""]:
        body = line.rstrip("\n")
        if body and set(body) <= set(BLOCKS) and set(body) - {" "}:
            run.append(body)
            continue
        if len(run) > len(best):
            best = run
        run = []
    return best


def main():
    args = sys.argv[1:]
    invert = args[:1] == ["--invert"]
    if invert:
        args = args[1:]
    with open(args[0], encoding="utf-8") as f:
        lines = f.read().replace("\r", "").split("\n")
    rows = qr_lines(lines)
    if not rows:
        print("no QR code in the pane", file=sys.stderr)
        return 1
    width = max(len(r) for r in rows)
    modules = []
    for r in rows:
        r = r.ljust(width)
        modules.append([BLOCKS[ch][0] for ch in r])
        modules.append([BLOCKS[ch][1] for ch in r])
    if invert:
        modules = [[1 - m for m in row] for row in modules]
        # An odd side leaves the last line's lower half empty: that is the screen, not the code.
        if modules and all(modules[-1]):
            modules.pop()
    side_w, side_h = width + 2 * MARGIN, len(modules) + 2 * MARGIN
    with open(args[1], "wb") as out:
        out.write(b"P5\n%d %d\n255\n" % (side_w * SCALE, side_h * SCALE))
        for y in range(side_h):
            my = y - MARGIN
            row = bytearray()
            for x in range(side_w):
                mx = x - MARGIN
                dark = 0 <= my < len(modules) and 0 <= mx < width and modules[my][mx]
                row += bytes([0 if dark else 255]) * SCALE
            out.write(bytes(row) * SCALE)
    print("%d lines of %d columns" % (len(rows), width))
    return 0


sys.exit(main())
