"""The `scholarbot` command line: ingest, enrich, stats, ask, profile, demo, run, digest, doctor.

Each command's docstring and help texts are also the README's command reference (`make docs`).
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from scholarbot.config import Settings, load_settings, reveal
from scholarbot.errors import ScholarbotError
from scholarbot.ingest.pipeline import IngestReport, ingest_paths
from scholarbot.services import Services, open_services
from scholarbot.store.store import EMBEDDER_FLAG, PEOPLE_STALE

if TYPE_CHECKING:
    from typer._click.core import Context as ClickContext  # typer vendors click

    from scholarbot.answers import Answerer


class _Commands(typer.core.TyperGroup):
    """Turns a ScholarbotError from any command into one red line and exit code 1, in one place.

    ScholarbotError messages are written for users (what went wrong and what to do); anything else is
    a bug and keeps its traceback.
    """

    def invoke(self, ctx: ClickContext) -> Any:
        try:
            return super().invoke(ctx)
        except ScholarbotError as e:
            _fail(str(e))


app = typer.Typer(
    help="Research assistant: researcher and paper records in a Chroma store, with cited answers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=_Commands,
)
out = Console(soft_wrap=True)  # no hard line breaks: paths and answers copy-paste whole
err = Console(stderr=True, soft_wrap=True)

StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store", help="Store folder (overrides config and $SCHOLARBOT_STORE).", show_default=False
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", help="Config file (default: $SCHOLARBOT_CONFIG or ./config.toml).", show_default=False
    ),
]

EXAMPLE_QUESTION = "Who collaborates with Hainan Zhang on federated LLMs?"


def _settings(config: Path | None, store: Path | None) -> Settings:
    return load_settings(config, store=store)


def _services(settings: Settings) -> Services:
    return open_services(settings)


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to import.", show_default=False)],
    store: StoreOpt = None,
    config: ConfigOpt = None,
    resolve_all: Annotated[
        bool,
        typer.Option(
            "--resolve-all",
            help="Resolve every researcher again, not only the names on new papers: name-rarity "
            "joins are re-decided on the whole store's current figures.",
        ),
    ] = False,
) -> None:
    """Import paper lists and profile pages into the store (safe to re-run).

    The format is detected per file. Prints papers added / updated / unchanged, researchers, the
    files skipped and why, and the seconds taken.
    """
    svc = _services(_settings(config, store))
    report = _run_ingest(svc, paths, resolve_all)
    _print_report(report, svc)
    if not report.files_read:
        raise typer.Exit(1)


@contextmanager
def _progress_bar() -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar per stage on a terminal; silent when output is piped."""
    columns = (TextColumn("{task.description:<8}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield progress


def _run_ingest(svc: Services, paths: list[Path], resolve_all: bool = False) -> IngestReport:
    with _progress_bar() as progress:
        try:
            return ingest_paths(
                paths, svc.store, svc.embedder, progress, people=svc.people_table(), resolve_all=resolve_all
            )
        except FileNotFoundError as e:
            _fail(str(e))


def _print_report(report: IngestReport, svc: Services) -> None:
    table = Table(title=f"Ingested into {svc.store.where}", show_header=False, title_justify="left")
    table.add_row("files read", str(len(report.files_read)))
    table.add_row("files skipped", str(len(report.files_skipped)))
    table.add_row(
        "papers",
        f"{report.papers_added} added, {report.papers_updated} updated, {report.papers_unchanged} unchanged",
    )
    table.add_row("profile pages", str(report.profiles))
    table.add_row(
        "researchers",
        f"{report.researchers_total} in store, {report.researchers_changed} written, "
        f"{report.researchers_removed} removed",
    )
    table.add_row("seconds", f"{report.seconds:.1f}")
    out.print(table)
    for _path, why in report.files_skipped:
        err.print(f"[yellow]skipped[/yellow] {why}", highlight=False)
    for problem in report.problems[:20]:
        err.print(f"[yellow]note[/yellow] {problem}", highlight=False)
    if len(report.problems) > 20:
        err.print(f"[yellow]note[/yellow] ... and {len(report.problems) - 20} more entries skipped")
    if not report.files_read and not report.files_skipped:
        err.print("[yellow]nothing to import:[/yellow] no files found under the given paths")


@app.command("enrich")
def enrich_cmd(
    store: StoreOpt = None,
    config: ConfigOpt = None,
    limit: Annotated[int | None, typer.Option(help="Embed at most this many papers.")] = None,
    minutes: Annotated[float | None, typer.Option(help="Stop after about this many minutes.")] = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Drop full-model vectors of another model and start over."),
    ] = False,
) -> None:
    """Add full-model vectors (`embeddings.enrich_model`) to papers that lack them, so search finds
    reworded questions.

    Resumable; about 17 papers/s on 2 cores with the bundled MiniLM (title + abstract, 256 tokens).
    """
    from scholarbot.ingest.enrich import enrich

    settings = _settings(config, store)
    svc = _services(settings)
    emb = settings.embeddings
    with _progress_bar() as progress:
        report = enrich(
            svc.store,
            model=emb.enrich_model,
            weight=emb.enrich_weight,
            replace=replace,
            cache_dir=emb.cache_dir,
            limit=limit,
            time_budget_s=minutes * 60 if minutes else None,
            progress=progress,
        )
    out.print(
        f"Embedded {report.embedded} papers with {report.model} in {report.seconds:.1f} s; "
        f"{report.remaining} still to do."
    )


@app.command()
def run(
    store: StoreOpt = None,
    config: ConfigOpt = None,
    dev_guild: Annotated[
        int | None, typer.Option(help="Sync commands to this guild only (overrides discord.dev_guild_id).")
    ] = None,
) -> None:
    """Start the Discord bot; the token comes from $DISCORD_TOKEN."""
    settings = _settings(config, store)
    token = reveal(settings.secrets.discord_token)
    if not token:
        _fail(
            "DISCORD_TOKEN is not set. Create a bot at https://discord.com/developers/applications, "
            "then `export DISCORD_TOKEN=...` (never put it in a file you commit)."
        )
    svc = _services(settings)
    answerer = _answerer(svc)
    answerer.warm()  # build indexes now, not on the first user's question
    from scholarbot.bot.client import ScholarBot, run_bot
    from scholarbot.digest.service import Digests
    from scholarbot.readers import ReaderState, readers_path

    digests = Digests(settings, svc)
    bot = ScholarBot(
        settings=settings,
        answerer=answerer,
        digests=digests,
        dev_guild_id=dev_guild or settings.discord.dev_guild_id,
        readers=ReaderState(readers_path(digests.state.path)),
    )
    try:
        run_bot(bot, token)  # a ConfigError (intent refused) becomes one red line, like every ScholarbotError
    finally:
        svc.close()  # after the bot closed its digest and reader files


@app.command()
def sync(
    store: StoreOpt = None,
    config: ConfigOpt = None,
    guild: Annotated[int | None, typer.Option(help="Only this guild (appears at once).")] = None,
) -> None:
    """Publish the slash commands to Discord; run it after installing or upgrading, not on every start."""
    import asyncio

    from scholarbot.bot.client import ScholarBot, publish_commands
    from scholarbot.digest.service import Digests

    settings = _settings(config, store)
    token = reveal(settings.secrets.discord_token)
    if not token:
        _fail("DISCORD_TOKEN is not set: commands are published with the bot's account.")
    svc = _services(settings)
    bot = ScholarBot(settings=settings, answerer=_answerer(svc), digests=Digests(settings, svc))
    count = asyncio.run(publish_commands(bot, token, guild))
    where = f"guild {guild}" if guild else "every guild (Discord may take a while to show them)"
    out.print(f"Published {count} commands to {where}.")


digest_app = typer.Typer(help="Scheduled digests of new papers.", no_args_is_help=True)
app.add_typer(digest_app, name="digest")


@digest_app.command("run")
def digest_run(
    store: StoreOpt = None,
    config: ConfigOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what is due; post and record nothing.")
    ] = False,
    channel: Annotated[int | None, typer.Option(help="Only this channel's subscriptions.")] = None,
) -> None:
    """Post every digest that is due now (for cron; the running bot does this by itself)."""
    import asyncio
    from datetime import UTC, datetime

    from scholarbot.digest.post import PrintPoster
    from scholarbot.digest.service import Digests

    settings = _settings(config, store)
    token = reveal(settings.secrets.discord_token) or ""
    if not dry_run and not token:
        _fail("DISCORD_TOKEN is not set: digests are posted through the bot's account (or use --dry-run).")
    digests = Digests(settings, _services(settings))

    async def main() -> list[Any]:
        if dry_run:
            poster = PrintPoster(out.print)
            results = await digests.run(datetime.now(UTC), poster, channel_id=channel, dry_run=True)
            for r in results:
                if r.digest is not None:
                    await poster.post(r.digest)
            return results
        from scholarbot.bot.digest_post import post_over_rest

        return await post_over_rest(token, lambda p: digests.run(datetime.now(UTC), p, channel_id=channel))

    try:
        results = asyncio.run(main())
    finally:
        digests.close()
    for r in results:
        status = "posted" if r.posted else (r.skipped_reason or "not posted")
        out.print(
            f"subscription {r.subscription_id}: {status}"
            + (f" ({'; '.join(r.problems)})" if r.problems else "")
        )
    if not results:
        out.print("No digest is due.")


@app.command()
def doctor(store: StoreOpt = None, config: ConfigOpt = None) -> None:
    """Check config, store, embedding model, full-model coverage, LLM endpoint, and on Discord the token,
    the message-content intent and the bot's permissions where it answers and posts digests.

    Says how to fix each problem; exits 1 only on failures, not warnings.
    """
    from scholarbot.doctor import run_checks

    problems = 0
    for check in run_checks(config, store):
        colour = {"ok": "green", "warn": "yellow", "fail": "red"}[check.status]
        out.print(f"[{colour}]{check.status:>4}[/{colour}]  {check.name}: {check.detail}", highlight=False)
        if check.fix:
            out.print(f"      fix: {check.fix}", highlight=False)
        problems += check.status == "fail"
    if problems:
        raise typer.Exit(1)


@app.command()
def stats(
    store: StoreOpt = None,
    config: ConfigOpt = None,
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Show what the store holds: counts, embedding model, size on disk, whether the last ingest finished."""
    svc = _services(_settings(config, store))
    counts = svc.store.counts()
    info = {
        "store": svc.store.where,
        "embedding_model": svc.store.get_flag(EMBEDDER_FLAG) or svc.embedder.name,
        **counts,
        "people_index_stale": bool(svc.store.get_flag(PEOPLE_STALE)),
    }
    deep = svc.store.deep_collection()
    info["full_model_vectors"] = deep.count() if deep is not None else 0
    if not svc.settings.store.host:
        from scholarbot.store.store import store_size_bytes

        info["size_mb"] = round(store_size_bytes(svc.settings.store.path) / 1e6, 1)
    if as_json:
        out.print_json(json.dumps(info))
        return
    table = Table(show_header=False)
    for k, v in info.items():
        table.add_row(k, str(v))
    out.print(table)
    if info["people_index_stale"]:
        err.print(
            "[yellow]The last ingest did not finish; run `scholarbot ingest` again to complete it.[/yellow]"
        )


@app.command()
def demo(
    store: Annotated[Path, typer.Option("--store", help="Folder for the demo store (wiped first).")] = Path(
        "vectorstore/demo"
    ),
    question: Annotated[str, typer.Option(help="Question to ask after ingesting.")] = EXAMPLE_QUESTION,
) -> None:
    """Ingest the bundled sample into a fresh store, enrich it, and answer the example question."""
    sample = Path(str(resources.files("scholarbot") / "data" / "sample"))
    if store.exists():
        shutil.rmtree(store)
    settings = _settings(None, store)
    svc = _services(settings)
    out.print(f"[bold]Ingesting the bundled sample[/bold] ({sample}) into {store} ...")
    report = _run_ingest(svc, [sample])
    _print_report(report, svc)
    from scholarbot.ingest.enrich import enrich

    with _progress_bar() as progress:
        deep = enrich(svc.store, progress=progress)
    out.print(f"Full-model vectors for {deep.embedded} papers in {deep.seconds:.1f} s (scholarbot enrich).")
    out.print(f"\n[bold]Q:[/bold] {question}\n")
    _ask_and_print(_answerer(svc), question, as_json=False)


@app.command()
def ask(
    question: Annotated[
        str, typer.Argument(help="The question, or - to read one question per line from stdin.")
    ],
    store: StoreOpt = None,
    config: ConfigOpt = None,
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
) -> None:
    """Answer a question from the store, citing papers.

    With `-`, reads one question per line from stdin and loads the indexes once (JSON Lines with --json).
    """
    answerer = _answerer(_services(_settings(config, store)))
    if question == "-":
        for line in sys.stdin:  # a blank line is answered too, so answers line up with questions
            _ask_and_print(answerer, line.strip(), as_json=as_json, one_line=True)
        return
    _ask_and_print(answerer, question, as_json=as_json)


@app.command()
def profile(
    name: Annotated[str, typer.Argument(help="A researcher's name.")],
    store: StoreOpt = None,
    config: ConfigOpt = None,
    as_json: bool = typer.Option(False, "--json", help="Print the profile as JSON."),
) -> None:
    """Show a researcher's profile: affiliations, metrics the sources report, papers, collaborators."""
    answerer = _answerer(_services(_settings(config, store)))
    answer = answerer.profile(name)
    if as_json:
        out.print_json(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        out.print(answer.render_text(), highlight=False)


def _answerer(svc: Services) -> Answerer:
    """One Answerer per process: indexes and the optional LLM writer are built once."""
    from scholarbot.answers import Answerer

    writer = planner = None
    if svc.settings.llm.enabled:
        from scholarbot.answers.llm import LLMWriter  # optional extra: scholarbot[llm]

        key = reveal(svc.settings.secrets.openai_api_key)
        writer = LLMWriter(svc.settings.llm, api_key=key)
        if getattr(svc.settings.llm, "plan", False):
            # The model picks the query for questions the offline reader is unsure about.
            from scholarbot.answers.planner import LLMPlanner

            planner = LLMPlanner(svc.settings.llm, api_key=key)
    return Answerer(svc, writer=writer, planner=planner)


def _ask_and_print(answerer: Answerer, question: str, *, as_json: bool, one_line: bool = False) -> None:
    try:
        answer = answerer.ask(question)
    except ScholarbotError as e:
        if one_line:
            print(json.dumps({"question": question, "error": str(e)}) if as_json else f"error: {e}")
            return
        _fail(str(e))
    if as_json:
        text = json.dumps(answer.to_json(), ensure_ascii=False)
        print(text) if one_line else out.print_json(text)
    else:
        out.print(answer.render_text(), highlight=False)
