"""Terminal tables shared by CLI commands."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

console = Console()


def counts_table(title: str, counts: dict, key: str = "label", value: str = "count") -> Table:
    table = Table(title=title)
    table.add_column(key)
    table.add_column(value, justify="right")
    for k, v in counts.items():
        table.add_row(str(k), str(v))
    return table


def print_summary(summary) -> None:
    c = summary.counts
    console.print(
        f"[bold]{summary.run_dir}[/]: {c['accepted']} accepted, {c['rejected']} rejected,"
        f" {c['failed']} failed, {c['unfinished']} unfinished of {c['planned']} planned requests"
    )
    console.print(counts_table("accepted per label", summary.label_counts))
    if summary.rejection_reasons:
        console.print(counts_table("rejections", summary.rejection_reasons, "reason"))
