#!/usr/bin/env python3
"""Host tests for bench_report.py: parsing, medians, peer ratios, goals, and well-formed output."""
import unittest
import xml.etree.ElementTree as ET

import bench_report as br


def rows(per_op, reps=3):
    """Guest output with every row, where row i of repeat r costs per_op[name] + r per op."""
    lines = ["bench: 3 reps", "garbage", "row short 1"]
    for r in range(reps):
        lines.append(f"rep {r}")
        for name in [name for name, _, _ in br.ROWS] + br.sites_row_names():
            n = 2 if name.startswith("flip") else 1000
            lines.append(f"row {name} {n} {int((per_op[name] + r) * n)}")
    return lines


NAMES = [name for name, _, _ in br.ROWS] + br.sites_row_names()
BASE = {name: 100.0 + 10 * i for i, name in enumerate(NAMES)}


class BenchReport(unittest.TestCase):
    def test_parse_divides_by_count_and_ignores_other_lines(self):
        s = br.parse(["row custom 1000 50000", "x row custom 1 1", "row custom 10 1000", "rep 1"])
        self.assertEqual(s, {"custom": [50.0, 100.0]})

    def test_parse_rejects_zero_count(self):
        with self.assertRaises(ValueError):
            br.parse(["row custom 0 5"])

    def test_medians_and_ratios_to_peer(self):
        table, m = br.summarize(br.parse(rows(BASE)))
        self.assertEqual(m["custom"], BASE["custom"] + 1)  # median of +0, +1, +2
        by_name = {r[0]: r for r in table}
        name, _, med, lo, hi, reps, peer, ratio = by_name["custom"]
        self.assertEqual((lo, hi, reps, peer), (BASE["custom"], BASE["custom"] + 2, 3, "ftrace_1_regs"))
        self.assertAlmostEqual(ratio, m["custom"] / m["ftrace_1_regs"])
        self.assertIsNone(by_name["plain"][7])

    def test_missing_row_is_an_error(self):
        lines = [l for l in rows(BASE) if " flip_module " not in l]
        with self.assertRaisesRegex(ValueError, "flip_module"):
            br.summarize(br.parse(lines))

    def test_goals(self):
        m = dict(BASE)
        m.update(custom=80, nop=10, ftrace_1_regs=100, ftrace_0=20, iterator_2=100, iterator_8=160,
                 ftrace_2_regs=200, ftrace_8_regs=500, flip_kernel=1000, flip_module=1050,
                 noregs=30, ftrace_1_noregs=40, direct=14.5, plain_direct=13)
        g = {what.strip().split()[0]: (ours, theirs, ratio, goal) for what, ours, theirs, ratio, goal in br.goals(m)}
        self.assertEqual(g["custom"], (80, 100, 0.8, 1.0))
        self.assertEqual(g["the"][:3], (70, 80, 70 / 80))
        self.assertEqual(g["iterator"][:3], (10, 50, 0.2))
        self.assertEqual(g["module"], (1050, 1000, 1.05, 1.1))
        self.assertEqual(g["no-regs"], (30, 40, 0.75, 1.0))
        self.assertEqual(g["direct"], (1.5, 3.0, 0.5, 1.0))

    def test_a_missing_sites_row_is_an_error(self):
        lines = [l for l in rows(BASE) if " syncs_module_4096 " not in l]
        with self.assertRaisesRegex(ValueError, "syncs_module_4096"):
            br.summarize(br.parse(lines))

    def test_sites_table_and_goals(self):
        m = dict(BASE)
        m.update(sites_kernel_1=9000, sites_kernel_64=600, sites_module_1=8000, sites_module_64=400,
                 sites_kernel_256=300, sites_module_256=330, syncs_kernel_4096=48, syncs_module_4096=3 * 16,
                 syncs_kernel_1024=4 * 3, emulated_sites_2=600, emulated_sites_4096=612,
                 sites_module_64_sync=100, sites_module_64_write=250)
        for n in br.SITES_NS:
            for e in br.ENGINES:
                m.setdefault(f"syncs_{e}_{n}", 3 * br.batches(n))
            m[f"syncs_kernel_{n}"] = m[f"syncs_module_{n}"] = 3 * br.batches(n)
        del m["syncs_kernel_1"]
        self.assertIsNone(br.sites_table(m)[0][4])
        row64 = [r for r in br.sites_table(m) if r[0] == 64][0]
        self.assertEqual(row64[1:4], (600, 400, 400 / 600))
        self.assertEqual(row64[4:6], (3.0, 3.0))
        self.assertEqual(row64[6:], (100, 250, 50))
        g = {what: (ours, theirs, ratio, goal) for what, ours, theirs, ratio, goal in br.sites_goals(m)}
        self.assertEqual(g["module: cost per site of a 64-site batch vs one single-site flip"], (400, 8000, 0.05, 0.5))
        self.assertEqual(g["module batch vs kernel batch, N = 256 (per site)"][2:], (1.1, 1.0))
        self.assertEqual(g["kernel: syncs per batch, worst N"], (3.0, 3.0, 1.0, 1.0))
        self.assertAlmostEqual(g["emulated hit, our handler: among 4095 held sites vs among 1"][2], 1.02)

    def test_outputs_are_well_formed(self):
        table, m = br.summarize(br.parse(rows(BASE)))
        md = br.markdown(table, br.goals(m), "# t")
        self.assertEqual(md.count("\n| "), len(br.ROWS) + 1 + 6 + 1)  # rows, header, goals, header
        md = br.markdown(table, br.goals(m) + br.sites_goals(m), "# t", m)
        # rows, header, goals, header, the sites table's header and rows
        self.assertEqual(md.count("\n| "), len(br.ROWS) + 1 + 6 + 7 + 1 + 1 + len(br.SITES_NS))
        root = ET.fromstring(br.svg(table, "note"))
        self.assertEqual(len([e for e in root.iter() if e.tag.endswith("rect")]), 1 + len(br.ROWS) + 3)
        root = ET.fromstring(br.svg(table, "note", m))
        self.assertEqual(len([e for e in root.iter() if e.tag.endswith("rect")]),
                         1 + len(br.ROWS) + 2 * len(br.SITES_NS) + 3)


if __name__ == "__main__":
    unittest.main()
