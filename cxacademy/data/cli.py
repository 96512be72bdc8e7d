"""``cx-data``: see what data the course ships and what its licences allow."""

from __future__ import annotations

import typer

from cxacademy.data.loader import DatasetError, catalogue, data_dir, load

app = typer.Typer(help="The course's real datasets: catalogue, licences, previews.", no_args_is_help=True)


@app.command("catalogue")
def show_catalogue(clear_only: bool = typer.Option(False, help="Only datasets whose licence clearly allows redistribution.")) -> None:
    """One line per dataset: rows, columns, licence, redistribution and skill areas."""
    table = catalogue()
    if clear_only:
        table = table[table["clearly_redistributable"]]
    columns = ["name", "rows", "columns", "redistribution", "skill_areas", "licence"]
    typer.echo(table[columns].to_string(index=False))
    flagged = table[table["caveat"] != ""]
    for row in flagged.itertuples():
        typer.echo(f"! {row.name}: {row.caveat}")


@app.command()
def show(name: str, rows: int = typer.Option(5, help="How many rows to preview.")) -> None:
    """Preview a dataset and point to its data card."""
    try:
        frame = load(name)
    except DatasetError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    typer.echo(f"{name}: {len(frame):,} rows × {frame.shape[1]} columns — data card: {data_dir() / name / 'SOURCE.md'}")
    typer.echo(frame.head(rows).to_string())
    typer.echo(frame.dtypes.to_string())
