#!/usr/bin/env python3
"""Turn the raw rows of a bench guest run into the benchmark table, a Markdown file and an SVG plot.

Input lines: "row NAME N NS" (N calls or flips took NS guest nanoseconds; under
-icount shift=0 a guest nanosecond is one instruction). Every other line is ignored.
Usage: bench_report.py GUEST_OUTPUT RESULTS_DIR
"""
import statistics
import sys
from pathlib import Path

# name, what it measures, the row it is compared with (None: it is itself a reference).
ROWS = [
    ("plain", "plain function, no site", None),
    ("nop", "traced function, site at NOP", "plain"),
    ("custom", "custom trampoline, 1 callback", "ftrace_1_regs"),
    ("noregs", "no-regs trampoline, 1 callback", "ftrace_1_noregs"),
    ("plain_direct", "plain function behind a direct call the assembler wrote", "plain"),
    ("direct", "direct call to the callback, flipped in", "plain_direct"),
    ("ftrace_direct", "ftrace direct call (register_ftrace_direct) to the same callback", "direct"),
    ("static_call_custom", "custom trampoline, site flipped by static_call", "custom"),
    ("ftrace_engine_1", "engine ftrace: our op (SAVE_REGS) on our ftrace site", "ftrace_1_regs"),
    ("iterator_1", "iterator trampoline, 1 callback", "ftrace_1_regs"),
    ("iterator_2", "iterator trampoline, 2 callbacks", "ftrace_2_regs"),
    ("iterator_4", "iterator trampoline, 4 callbacks", "ftrace_4_regs"),
    ("iterator_8", "iterator trampoline, 8 callbacks", "ftrace_8_regs"),
    ("ftrace_0", "ftrace-ops sample, 0 ops (fentry NOP)", "nop"),
    ("ftrace_1_regs", "ftrace-ops, 1 op, SAVE_REGS", None),
    ("ftrace_1_noregs", "ftrace-ops, 1 op, no regs", "ftrace_1_regs"),
    ("ftrace_2_regs", "ftrace-ops, 2 ops, SAVE_REGS", None),
    ("ftrace_2_noregs", "ftrace-ops, 2 ops, no regs", "ftrace_2_regs"),
    ("ftrace_4_regs", "ftrace-ops, 4 ops, SAVE_REGS", None),
    ("ftrace_4_noregs", "ftrace-ops, 4 ops, no regs", "ftrace_4_regs"),
    ("ftrace_8_regs", "ftrace-ops, 8 ops, SAVE_REGS", None),
    ("ftrace_8_noregs", "ftrace-ops, 8 ops, no regs", "ftrace_8_regs"),
    ("emulated", "call emulated from int3 (module engine, window held)", "custom"),
    ("flip_kernel", "one flip, kernel engine (smp_text_poke_single)", None),
    ("flip_module", "one flip, module engine (Rust protocol)", "flip_kernel"),
    ("flip_static_call", "one flip, static_call engine (__static_call_update)", "flip_kernel"),
    ("flip_ftrace", "one flip, ftrace engine (an op unregistered or registered)", "flip_kernel"),
]
FLIP_ROWS = {"flip_kernel", "flip_module", "flip_static_call", "flip_ftrace"}

# Many sites: every N a flip rewrites, in batches of 256 (guest/bench.sh's SITES_NS), per engine.
SITES_NS = [1, 16, 64, 256, 1024, 4096]
ENGINES = ["kernel", "module"]
BATCH = 256


def sites_row_names():
    """The rows of the many-sites part: per-site flip cost and syncs per flip for each engine
    and N, the module engine's syncs and writes per site, and the emulated hit among 1 and
    4095 held sites."""
    names = []
    for n in SITES_NS:
        for e in ENGINES:
            # The kernel engine's syncs are counted only past one site (a probe that would
            # cost every single-site flip).
            names += [f"sites_{e}_{n}"] + ([] if (e, n) == ("kernel", 1) else [f"syncs_{e}_{n}"])
        names += [f"sites_module_{n}_sync", f"sites_module_{n}_write"]
    return names + ["emulated_sites_2", "emulated_sites_4096"]


def batches(n):
    return -(-n // BATCH)


def sites_table(m):
    """Per N: kernel and module cost per site, their ratio, syncs per batch for each, and the
    module engine's cost per site split into syncs, writes and the rest."""
    out = []
    for n in SITES_NS:
        k, mod = m[f"sites_kernel_{n}"], m[f"sites_module_{n}"]
        sync, write = m[f"sites_module_{n}_sync"], m[f"sites_module_{n}_write"]
        ks = m.get(f"syncs_kernel_{n}")
        out.append((n, k, mod, mod / k, None if ks is None else ks / batches(n),
                    m[f"syncs_module_{n}"] / batches(n), sync, write, mod - sync - write))
    return out


def sites_goals(m):
    """The issue's claims for many sites: (what, ours, theirs, ratio, goal)."""
    g = []
    for e in ENGINES:
        g.append((f"{e}: cost per site of a 64-site batch vs one single-site flip",
                  m[f"sites_{e}_64"], m[f"sites_{e}_1"], m[f"sites_{e}_64"] / m[f"sites_{e}_1"], 0.5))
    for n in (64, 256):
        g.append((f"module batch vs kernel batch, N = {n} (per site)",
                  m[f"sites_module_{n}"], m[f"sites_kernel_{n}"], m[f"sites_module_{n}"] / m[f"sites_kernel_{n}"], 1.0))
    for e in ENGINES:
        worst = max(m[f"syncs_{e}_{n}"] / batches(n) for n in SITES_NS if f"syncs_{e}_{n}" in m)
        g.append((f"{e}: syncs per batch, worst N", worst, 3.0, worst / 3.0, 1.0))
    g.append(("emulated hit, our handler: among 4095 held sites vs among 1",
              m["emulated_sites_4096"], m["emulated_sites_2"], m["emulated_sites_4096"] / m["emulated_sites_2"], 1.05))
    return g


def parse(lines):
    """Per row name, the cost per call (or per flip) of every repeat, in input order."""
    samples = {}
    for line in lines:
        words = line.split()
        if len(words) != 4 or words[0] != "row":
            continue
        name, n, ns = words[1], int(words[2]), int(words[3])
        if n <= 0:
            raise ValueError(f"row {name}: count {n}")
        samples.setdefault(name, []).append(ns / n)
    return samples


def summarize(samples):
    """Rows of (name, label, median, min, max, reps, peer, ratio); missing rows are an error."""
    missing = [name for name, _, _ in ROWS if name not in samples]
    missing += [name for name in sites_row_names() if name not in samples]
    if missing:
        raise ValueError("rows missing from the guest output: " + " ".join(missing))
    medians = {name: statistics.median(v) for name, v in samples.items()}
    table = []
    for name, label, peer in ROWS:
        v = samples[name]
        ratio = medians[name] / medians[peer] if peer else None
        table.append((name, label, medians[name], min(v), max(v), len(v), peer, ratio))
    return table, medians


def goals(m):
    """The issue's three claims: (what, ours, theirs, ratio, goal)."""
    per_cb_ours = (m["iterator_8"] - m["iterator_2"]) / 6
    per_cb_ftrace = (m["ftrace_8_regs"] - m["ftrace_2_regs"]) / 6
    return [
        ("custom trampoline vs ftrace-ops 1 op with regs (per call)",
         m["custom"], m["ftrace_1_regs"], m["custom"] / m["ftrace_1_regs"], 1.0),
        ("  the same, net of each one's untraced call (custom - nop vs ftrace_1_regs - ftrace_0)",
         m["custom"] - m["nop"], m["ftrace_1_regs"] - m["ftrace_0"],
         (m["custom"] - m["nop"]) / (m["ftrace_1_regs"] - m["ftrace_0"]), 1.0),
        ("iterator per extra callback vs ftrace list func per extra op (slope 2 -> 8)",
         per_cb_ours, per_cb_ftrace, per_cb_ours / per_cb_ftrace, 1.0),
        ("module engine vs kernel engine (per flip)",
         m["flip_module"], m["flip_kernel"], m["flip_module"] / m["flip_kernel"], 1.1),
        ("no-regs trampoline vs ftrace-ops 1 op without regs (per call)",
         m["noregs"], m["ftrace_1_noregs"], m["noregs"] / m["ftrace_1_noregs"], 1.0),
        ("direct call: instructions more than a plain direct call, vs 3",
         m["direct"] - m["plain_direct"], 3.0, (m["direct"] - m["plain_direct"]) / 3.0, 1.0),
    ]


def fmt(x):
    return f"{x:,.1f}" if x < 1000 else f"{x:,.0f}"


def sites_markdown(m):
    out = ["", "## Many sites", "",
           "Cost per site of one flip of N sites in batches of 256 (round trips to NOP and back), "
           "syncs per batch, and the module engine's cost per site split into syncs, writes "
           "(`text_poke`) and the rest.", "",
           "| N | kernel /site | module /site | module / kernel | syncs per batch: kernel | module | module: syncs /site | writes /site | rest /site |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n, k, mod, r, ks, ms, sync, write, rest in sites_table(m):
        kss = "-" if ks is None else f"{ks:.1f}"
        out.append(f"| {n} | {fmt(k)} | {fmt(mod)} | {r:.2f}x | {kss} | {ms:.1f} | {fmt(sync)} | {fmt(write)} | {fmt(rest)} |")
    out += ["", f"Emulated hit, our handler, per call: among 1 held site {fmt(m['emulated_sites_2'])}, "
            f"among 4095 {fmt(m['emulated_sites_4096'])}."]
    return "\n".join(out) + "\n"


def markdown(table, gl, header, m=None):
    out = [header, "",
           "| row | measures | median | min | max | reps | peer | ratio to peer |",
           "|---|---|---:|---:|---:|---:|---|---:|"]
    for name, label, med, lo, hi, reps, peer, ratio in table:
        unit = "/flip" if name in FLIP_ROWS else "/call"
        r = f"{ratio:.2f}x" if ratio is not None else "-"
        out.append(f"| {name} | {label} | {fmt(med)} {unit} | {fmt(lo)} | {fmt(hi)} | {reps} | {peer or '-'} | {r} |")
    out += ["", "| goal | ours | peer | ratio | goal | met |", "|---|---:|---:|---:|---:|---|"]
    for what, ours, theirs, ratio, goal in gl:
        out.append(f"| {what.strip()} | {fmt(ours)} | {fmt(theirs)} | {ratio:.2f}x | <= {goal:.2f}x | {'yes' if ratio <= goal else 'NO'} |")
    return "\n".join(out) + "\n" + (sites_markdown(m) if m else "")


def text_table(table, gl):
    out = [f"{'row':<16} {'median':>12} {'min':>12} {'max':>12} {'reps':>4}  {'peer':<16} {'ratio':>6}"]
    for name, _, med, lo, hi, reps, peer, ratio in table:
        r = f"{ratio:.2f}x" if ratio is not None else "-"
        out.append(f"{name:<16} {fmt(med):>12} {fmt(lo):>12} {fmt(hi):>12} {reps:>4}  {peer or '-':<16} {r:>6}")
    out.append("")
    for what, ours, theirs, ratio, goal in gl:
        out.append(f"{what}: {fmt(ours)} vs {fmt(theirs)} = {ratio:.2f}x (goal <= {goal:.2f}x: {'met' if ratio <= goal else 'MISSED'})")
    return "\n".join(out) + "\n"


def sites_text(m):
    out = ["", f"{'N':>5} {'kernel/site':>12} {'module/site':>12} {'ratio':>6} {'syncs/batch k':>13} {'m':>4} {'m sync':>9} {'m write':>9} {'m rest':>9}"]
    for n, k, mod, r, ks, ms, sync, write, rest in sites_table(m):
        kss = "-" if ks is None else f"{ks:.1f}"
        out.append(f"{n:>5} {fmt(k):>12} {fmt(mod):>12} {r:>5.2f}x {kss:>13} {ms:>4.1f} {fmt(sync):>9} {fmt(write):>9} {fmt(rest):>9}")
    return "\n".join(out) + "\n"


def sites_svg_panel(m, y, left, width, bar_h, gap):
    """Grouped bars: cost per site of a flip of N sites, kernel and module engine, per N."""
    parts = [f'<text x="10" y="{y + 12}" font-size="12" font-style="italic">per site, one flip of N sites (batches of 256)</text>']
    y += 18
    top = max(max(k, mod) for _, k, mod, *_ in sites_table(m))
    for n, k, mod, *_ in sites_table(m):
        for label, v, c in ((f"N={n} kernel", k, "#dd8452"), (f"N={n} module", mod, "#4c72b0")):
            w = max(1.0, width * v / top)
            parts.append(f'<text x="{left - 6}" y="{y + 12}" font-size="11" text-anchor="end">{label}</text>')
            parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{c}"/>')
            parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 12}" font-size="11">{fmt(v)}</text>')
            y += bar_h + gap
        y += 4
    return parts, y + 12


def svg(table, unit_note, m=None):
    """Horizontal bars: call rows on one scale, flip rows on another (they are ~1000x apart)."""
    colour = lambda n: "#4c72b0" if n.startswith(("custom", "noregs", "direct", "iterator", "emulated", "flip_module")) else (
        "#dd8452" if n.startswith(("ftrace", "static_call", "flip_kernel", "flip_ftrace", "flip_static_call"))
        else "#8c8c8c")
    bar_h, gap, left, width = 16, 6, 170, 520
    panels = [[r for r in table if r[0] not in FLIP_ROWS], [r for r in table if r[0] in FLIP_ROWS]]
    y, parts = 30, []
    parts.append(f'<text x="10" y="18" font-size="13" font-weight="bold">int3call bench: cost per call / per flip ({unit_note})</text>')
    for rows, title in zip(panels, ("per call", "per flip")):
        top = max(r[2] for r in rows)
        parts.append(f'<text x="10" y="{y + 12}" font-size="12" font-style="italic">{title}</text>')
        y += 18
        for name, _, med, *_ in rows:
            w = max(1.0, width * med / top)
            parts.append(f'<text x="{left - 6}" y="{y + 12}" font-size="11" text-anchor="end">{name}</text>')
            parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour(name)}"/>')
            parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 12}" font-size="11">{fmt(med)}</text>')
            y += bar_h + gap
        y += 12
    if m:
        more, y = sites_svg_panel(m, y, left, width, bar_h, gap)
        parts += more
    legend = [("#8c8c8c", "baseline"), ("#4c72b0", "int3call"), ("#dd8452", "kernel peer (ftrace, text_poke)")]
    for i, (c, label) in enumerate(legend):
        parts.append(f'<rect x="{10 + 200 * i}" y="{y}" width="12" height="12" fill="{c}"/>')
        parts.append(f'<text x="{26 + 200 * i}" y="{y + 10}" font-size="11">{label}</text>')
    h = y + 24
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 90}" height="{h}" '
            f'font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n'
            + "\n".join(parts) + "\n</svg>\n")


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    lines = Path(argv[1]).read_text().splitlines()
    table, medians = summarize(parse(lines))
    gl = goals(medians) + sites_goals(medians)
    note = "guest ns under -icount shift=0 = instructions"
    results = Path(argv[2])
    results.mkdir(parents=True, exist_ok=True)
    info = [l for l in lines if l.startswith(("bench:", "guest:"))]
    header = "# int3call benchmark\n\nUnits: " + note + ". " + "; ".join(info)
    (results / "bench.md").write_text(markdown(table, gl, header, medians))
    (results / "bench.svg").write_text(svg(table, note, medians))
    sys.stdout.write(text_table(table, gl) + sites_text(medians))
    print(f"written: {results / 'bench.md'} {results / 'bench.svg'}")


if __name__ == "__main__":
    main(sys.argv)
