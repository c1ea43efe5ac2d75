"""The `riveg` command line: thin Typer commands over the library.
One module per command group; library errors become one-line messages."""
from __future__ import annotations

import typer

from riveg_agent.cli import chat_cmd
from riveg_agent.cli import mcp_cmd
from riveg_agent.cli import serve_cmd
from riveg_agent.cli import (batch_cmd, demo_cmd, eval_cmd, index_cmd, knowledge_cmd, models_cmd, plugins_cmd, run_cmd,
               train_cmd)

app = typer.Typer(help="riveg-agent: grounded multimodal NER on social-media posts, offline.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
app.command("run")(run_cmd.run)
app.command("batch")(batch_cmd.batch)
app.command("demo")(demo_cmd.demo)
app.command("chat")(chat_cmd.chat)
app.command("mcp")(mcp_cmd.mcp)
app.command("serve")(serve_cmd.serve)
app.add_typer(plugins_cmd.app, name="plugins")
app.add_typer(models_cmd.app, name="models")
app.add_typer(index_cmd.app, name="index")
app.add_typer(knowledge_cmd.app, name="knowledge")
app.add_typer(eval_cmd.app, name="eval")
app.add_typer(train_cmd.app, name="train")


def main() -> None:
    app()
