"""Terminal output shared by CLI commands. Data (labels, reasons, paths, generated text) goes
through `synloom.cli.safe_text`: printed literally, control characters escaped."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from synloom.cli.safe_text import text

console = Console()


def say(*parts: str | Text | tuple[str, str]) -> None:
    """Print one line made of literal strings (our own wording, optionally as `(str, style)`)
    and `Text` parts (data); nothing is read as markup."""
    console.print(Text.assemble(*parts), soft_wrap=True)


def counts_table(title: str, counts: dict, key: str = "label", value: str = "count") -> Table:
    table = Table(title=text(title, multiline=False))
    table.add_column(text(key, multiline=False))
    table.add_column(text(value, multiline=False), justify="right")
    for k, v in counts.items():
        table.add_row(text(k, multiline=False), text(v))
    return table


def print_summary(summary) -> None:
    from synloom.generate.finalize import with_surplus

    c = with_surplus(summary.counts, summary.rejection_reasons)
    surplus = f" {c['surplus']} surplus (over budget)," if c["surplus"] else ""
    say(
        text(summary.run_dir, multiline=False, style="bold"),
        f": {c['accepted']} accepted,{surplus} {c['rejected']} rejected,"
        f" {c['failed']} failed, {c['unfinished']} unfinished of {c['planned']} planned requests",
    )
    for stage, info in summary.stage_counts.items():
        reasons = ", ".join(f"{k} {v}" for k, v in info["rejection_reasons"].items()) or "none"
        say(f"{stage} stage: {info['accepted']} accepted; rejections: {reasons}")
    if any(label is not None for label in summary.label_counts):
        console.print(counts_table("accepted per label", summary.label_counts))
    if summary.rejection_reasons:
        console.print(counts_table("rejections", summary.rejection_reasons, "reason"))
