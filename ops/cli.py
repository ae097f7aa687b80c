"""The commands of `python -m ops`, each a thin caller of the services the API uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from chalicelib.core import clock
from chalicelib.core.errors import DhnError
from chalicelib.domain.calendar import rfc3339
from chalicelib.services import identity
from ops import feed, registry_import, target
from ops.checkpoint import StaleCheckpoint

app = typer.Typer(
    help="DHN's operator command line. Run it with AWS credentials for the stage: they are what "
    "makes you an operator there.",
    no_args_is_help=True,
    # Markdown joins a docstring's wrapped lines into paragraphs again.
    rich_markup_mode="markdown",
    add_completion=False,
)
tokens = typer.Typer(
    help="Operator tokens, and revoking any patient, insurer, operator or pharmacy PC token."
)
registry = typer.Typer(help="The patients' registry: the feed's bulk import.")
app.add_typer(tokens, name="token")
app.add_typer(registry, name="registry")

console = Console()
# Errors go to stderr, so that what a command prints can be piped.
errors = Console(stderr=True)

# Exit status of a command stopped by Ctrl-C, as shells give it.
INTERRUPTED = 130


@app.callback()
def choose_stage(
    stage: Annotated[
        target.Stage | None,
        typer.Option(
            help="The stage to work on, with your AWS credentials (`local`: the local stack of "
            "`make run`). Without it, the environment's DHN_STAGE and AWS settings stand."
        ),
    ] = None,
    endpoint: Annotated[
        str | None,
        typer.Option(
            envvar="AWS_ENDPOINT_URL",
            help="The local stack's AWS endpoint, as `make run` prints it (for --stage local only).",
        ),
    ] = None,
) -> None:
    try:
        target.use(stage, endpoint)
    except target.TargetError as exc:
        raise typer.BadParameter(str(exc), param_hint="--stage / --endpoint") from exc


@contextmanager
def _refusals() -> Iterator[None]:
    """What a service refuses is told as the API would tell it, with exit status 1."""
    try:
        yield
    except DhnError as exc:
        errors.print(f"[red]{exc.title}[/red]: {exc.detail}")
        raise typer.Exit(1) from exc


@tokens.command("mint")
def mint(
    name: Annotated[str, typer.Argument(help="The full name of the operator who will hold the token.")],
) -> None:
    """Mint an operator token (8 hours) naming its holder, and print it with its id and expiry.

    The token is shown this once: only its hash is stored.
    """
    with _refusals():
        issued = identity.mint_operator_token(target.acting_operator(), name, clock.current())
    console.print(f"token: {issued.token}", highlight=False, soft_wrap=True)
    console.print(f"token_id: {issued.token_id}", highlight=False)
    console.print(f"expires_at: {rfc3339(issued.expires_at)}", highlight=False)


@tokens.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (`tok_…`), as its mint answered it.")],
) -> None:
    """Revoke a patient's, insurer's, operator's or pharmacy PC's token: it answers 401 from the
    next request on.

    A practice device's token goes with its device, which its practice revokes.
    """
    with _refusals():
        identity.revoke_token(target.acting_operator(), token_id)
    console.print(f"revoked {token_id}", highlight=False)


@registry.command("import")
def import_feed(
    path: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="The feed: JSON Lines or CSV."),
    ],
    format_: Annotated[
        feed.Format | None,
        typer.Option("--format", help="The file's format; by default its suffix tells it (.jsonl, .csv)."),
    ] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option(help="Where the import records the lines done; by default FILE.checkpoint."),
    ] = None,
    refused: Annotated[
        Path | None,
        typer.Option(help="Where the refused lines go, with their reasons; by default FILE.refused.jsonl."),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(min=1, help="Import at most this many more lines, then stop as Ctrl-C would."),
    ] = None,
    restart: Annotated[
        bool, typer.Option("--restart", help="Forget the checkpoint and import the whole file again.")
    ] = False,
) -> None:
    """Import the registry feed in bulk: each line a patient as `POST /v1/patients` takes it.

    A patient the registry holds already is replaced by the line. Ctrl-C stops after the line
    in progress; running the same command again continues after the last line done, and counts
    nothing twice. Refused lines are written with their line numbers and reasons.
    """
    try:
        kind = feed.format_of(path, format_)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--format") from exc
    files = registry_import.Files.beside(path, checkpoint, refused)
    if restart:
        files.checkpoint.unlink(missing_ok=True)
    try:
        summary = registry_import.run(
            files, kind, target.acting_operator(), clock.current(), console, limit=limit
        )
    except StaleCheckpoint as exc:
        raise typer.BadParameter(f"{exc}: rerun with --restart", param_hint="--checkpoint") from exc
    console.print(
        f"created {summary.created}, updated {summary.updated}, refused {summary.refused} "
        f"({summary.lines} lines done)",
        highlight=False,
    )
    if summary.refused:
        console.print(f"Refused lines, with their reasons: {files.refused}", highlight=False)
    if summary.stopped is not None:
        console.print("Stopped before the end: the same command continues where this one stopped.")
    if summary.stopped == "interrupt":
        raise typer.Exit(INTERRUPTED)
