"""`riveg chat`: ask questions about a post (text + image, or an image alone)."""
from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from riveg_agent.cli.common import CONFIG_HELP, err_console, errors_to_exit, print_json, quiet_native_logs

def _path_arg(arg: str) -> str:
    """A command's path argument, unquoted when it is quoted; an unbalanced
    quote is kept as typed (never an error)."""
    try:
        parts = shlex.split(arg)
    except ValueError:
        return arg.strip()
    return " ".join(parts)


HELP = ("commands: /image P  /text T  /save DIR  /reset  /quit — anything else is a question "
        "(e.g. 'Where is <name>?', 'segment <name>', 'list all entities and their types', 'why?')")


def _entities_table(session) -> Table:
    table = Table(title="entities in the post")
    for col in ("entity", "type", "in picture", "VE score", "box"):
        table.add_column(col, overflow="fold")
    for e in session.result.entities:
        table.add_row(e.text, e.type, "yes" if e.groundable else "no", f"{e.score:.2f}",
                      str([round(v) for v in e.box]) if e.box else "-")
    return table


def _short(value, width: int = 40) -> str:
    text = str(value)
    return text if len(text) <= width else text[:width - 1] + "…"


def _show(console: Console, answer, streamed: bool) -> None:
    if not streamed:
        console.print(answer.text, highlight=False, soft_wrap=True)
    elif answer.phrased_by != "llm":
        console.print("\n[dim](that wording dropped or added facts; the tools said:)[/]")
        console.print(answer.text, highlight=False, soft_wrap=True)
    else:
        console.print()
    for path in answer.overlays:
        console.print(f"[dim]overlay:[/] {path}", highlight=False)
    calls = "; ".join(f"{c['name']}({', '.join(_short(v) for v in c['args'].values())})" for c in answer.tool_calls)
    console.print(f"[dim]tools: {calls or 'none'} · {answer.route.source} · {answer.seconds:.2f} s[/]",
                  highlight=False)


def chat(image: Optional[Path] = typer.Option(None, "--image", help="the post's image"),
         text: Optional[str] = typer.Option(None, "--text", help="the post's text"),
         config: str = typer.Option("default", "--config", help=CONFIG_HELP),
         once: Optional[str] = typer.Option(None, "--once", help="ask one question, print the answer, exit"),
         as_json: bool = typer.Option(False, "--json", help="with --once: print the answer as JSON"),
         router: str = typer.Option("rules", "--router", help="rules (deterministic) or llm (constrained LLM call)"),
         phrasing: str = typer.Option("template", "--phrasing", help="template, or llm (the model rewords the tool facts)"),
         referee: bool = typer.Option(True, "--referee/--no-referee",
                                      help="with --router rules: the LLM settles descriptions the rules cannot"),
         out: Optional[Path] = typer.Option(None, "--out", help="folder for overlay PNGs (default: a temp folder)")):
    """Ask questions about a post, answered from the grounding tools, offline."""
    quiet_native_logs()
    from riveg_agent.agent.chat import ChatSession

    if router not in ("rules", "llm") or phrasing not in ("template", "llm"):
        raise typer.BadParameter("--router is rules or llm; --phrasing is template or llm")
    if text is None and image is None:
        raise typer.BadParameter("give --text, --image or both")
    console = Console()
    with errors_to_exit():
        session = ChatSession(text, image, config=config, router=router, phrasing=phrasing, out_dir=out,
                              referee=referee)
        if once is not None:
            with console.status("running the pipeline on the post…") if not as_json else _nullctx():
                _ = session.state
            answer = session.ask(once)
            if as_json:
                print_json(json.dumps(answer.to_dict(), indent=2, default=str))
            else:
                _show(console, answer, False)
            return
        _loop(console, session)


class _nullctx:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def _loop(console: Console, session) -> None:
    console.print(f"[bold]riveg chat[/] — {HELP}", highlight=False)
    ready = False
    while True:
        try:
            line = console.input("[bold cyan]you>[/] ").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if not line:
            continue
        if line.startswith("/"):
            cmd, _, arg = line.partition(" ")
            # /text keeps the post exactly as typed (quotes and apostrophes
            # included); a path may be quoted.
            arg = arg.strip() if cmd == "/text" else _path_arg(arg)
            if cmd == "/quit":
                return
            if cmd == "/reset":
                session.reset()
                console.print("[dim]conversation forgotten (the post's result is kept)[/]")
            elif cmd == "/image":
                session.set_image(Path(arg) if arg else None)
                ready = False
                console.print(f"[dim]image: {arg or 'none'}[/]")
            elif cmd == "/text":
                session.set_text(arg or None)
                ready = False
                console.print(f"[dim]text: {arg or 'none'}[/]")
            elif cmd == "/save":
                if not arg:
                    console.print("usage: /save DIR")
                    continue
                try:
                    console.print(f"[dim]saved to {session.save(arg)}[/]")
                except OSError as exc:
                    console.print(f"[bold red]error:[/] cannot save to {arg}: {exc.strerror or exc}")
            else:
                console.print(HELP)
            continue
        try:
            if not ready:
                with console.status("running the pipeline on the post…"):
                    _ = session.state
                console.print(_entities_table(session))
                ready = True
            streamed = session.phrasing == "llm"
            answer = session.ask(line, on_token=(lambda t: console.print(t, end="", highlight=False))
                                 if streamed else None)
            if answer.route.intent == "recognize_entities":
                console.print(_entities_table(session))
            _show(console, answer, streamed)
        except Exception as exc:  # noqa: BLE001 - one bad turn must not end the chat
            from riveg_agent.core.errors import RivegError
            if not isinstance(exc, (RivegError, ValueError)):
                raise
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
