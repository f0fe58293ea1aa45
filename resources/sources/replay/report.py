"""The archive's per-file report as text: the console's (`make replay`, `make import`) and the
Markdown of the raw assets' metadata and the `archive_files` check."""

from __future__ import annotations

from collections.abc import Mapping

COLUMNS = ("file", "shape", "read", "served", "loaded", "duplicates", "rejected", "why")


def rows(reports: list, loaded: Mapping[str, int] | None = None) -> list[dict]:
    """One dict per file; `loaded`: rows in the warehouse per file for the window (None: not asked)."""
    out = []
    for r in reports:
        known = r.shape is not None
        out.append(
            {
                "file": r.file,
                "shape": r.shape if known else "UNKNOWN",
                "read": r.rows_read if known and r.kind != "reference" else "",
                "served": r.rows_served if known and r.kind != "reference" else "",
                "loaded": "" if loaded is None or not known or r.kind == "reference" else loaded.get(r.file, 0),
                "duplicates": r.duplicates if known and r.kind != "reference" else "",
                "rejected": r.rows_rejected if known and r.kind != "reference" else "",
                "why": r.why() if known and r.kind != "reference" else (r.description if known else unknown_text(r)),
            }
        )
    return out


def unknown_text(r) -> str:
    shown = ", ".join(r.columns[:12]) + (" ..." if len(r.columns) > 12 else "")
    return f"no known shape; columns: {shown}; nearest shape {r.nearest_shape} lacks {', '.join(r.nearest_missing)}"


def unknown(reports: list) -> list:
    return [r for r in reports if r.shape is None]


def markdown(reports: list, loaded: Mapping[str, int] | None = None) -> str:
    table = rows(reports, loaded)
    if not table:
        return "no files"
    columns = [c for c in COLUMNS if loaded is not None or c != "loaded"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in table:
        lines.append("| " + " | ".join(str(row[c]).replace("|", "/") for c in columns) + " |")
    return "\n".join(lines)


def console(reports: list, loaded: Mapping[str, int] | None = None) -> str:
    """A fixed-width table, the reasons and unknown files on lines of their own under their file."""
    table = rows(reports, loaded)
    numbers = [c for c in ("read", "served", "loaded", "duplicates", "rejected") if loaded is not None or c != "loaded"]
    width = max([len(r["file"]) for r in table] + [4])
    shape_width = max([len(str(r["shape"])) for r in table] + [5])
    header = f"{'file':<{width}}  {'shape':<{shape_width}}" + "".join(f"{c:>11}" for c in numbers)
    out = [header, "-" * len(header)]
    for row in table:
        out.append(
            f"{row['file']:<{width}}  {row['shape']:<{shape_width}}" + "".join(f"{row[c]!s:>11}" for c in numbers)
        )
        if row["why"] and (row["shape"] == "UNKNOWN" or row["rejected"]):
            out.append(f"    {row['why']}")
    return "\n".join(out)
