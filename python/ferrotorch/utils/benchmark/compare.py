"""`Compare`: one table per label of Measurement medians (rows: sub_label, columns: description)."""
from ._measurement import select_unit


class Compare:
    def __init__(self, results):
        self._results = list(results)

    def extend_results(self, results):
        self._results.extend(results)

    def _table(self, label, results):
        rows = list(dict.fromkeys(r.sub_label or "" for r in results))
        columns = list(dict.fromkeys(r.description or "" for r in results))
        threads = sorted({r.num_threads for r in results})
        unit, scale = select_unit(min(r.median for r in results))
        cell = {(r.num_threads, r.sub_label or "", r.description or ""): f"{r.median / scale:.1f}" for r in results}
        row_width = max(len(name) for name in rows) + 2
        widths = [max([len(c)] + [len(v) for k, v in cell.items() if k[2] == c]) + 2 for c in columns]

        def line(first, cells):
            return first.rjust(row_width + 4) + "  |" + "|".join(c.center(w + 2) for c, w in zip(cells, widths))

        body = [line("", columns)]
        for t in threads:
            body.append(f"{t} threads: ".ljust(row_width + 6) + "-" * (sum(widths) + 3 * len(widths) - 1))
            for name in rows:
                body.append(line(name, [cell.get((t, name, c), "") for c in columns]))
        width = max(len(b) for b in body)
        head = f" {label} "
        pad = max(width - len(head) - 2, 0)
        title = "[" + "-" * (pad // 2) + head + "-" * (pad - pad // 2) + "]"
        return "\n".join([title] + body + ["", f"Times are in {_UNIT_NAMES[unit]} ({unit}).", ""])

    def __str__(self):
        labels = list(dict.fromkeys(r.label or "" for r in self._results))
        return "\n".join(self._table(lab, [r for r in self._results if (r.label or "") == lab]) for lab in labels)

    def print(self):
        print(str(self))


_UNIT_NAMES = {"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}
