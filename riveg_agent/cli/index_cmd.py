from __future__ import annotations

from pathlib import Path

import typer

from riveg_agent.cli.common import errors_to_exit, quiet_native_logs

app = typer.Typer(help="MSEA exemplar indexes.", no_args_is_help=True)


@app.command("build")
def build(data_dir: Path = typer.Option(..., "--data-dir", help="folder holding twitter2015/, twitter2017/, captions/"),
          dataset: str = typer.Option("twitter2017", "--dataset", help="twitter2015 or twitter2017"),
          out: Path = typer.Option(..., "--out", help="index folder to write, e.g. indexes/twitter2017-msea"),
          features: str = typer.Option("fused", "--features",
                                       help="fused: NER-encoder text + caption embedding (MSEA); "
                                            "minilm: MiniLM sentence embedding of the text only"),
          ner_model: str = typer.Option("plim-minilm-t17", "--ner-model",
                                        help="with --features fused: the NER model whose encoder embeds the text"),
          image_weight: float = typer.Option(0.3, "--image-weight", min=0.0, max=1.0,
                                             help="with --features fused: the image side's share of the similarity"),
          images: Path = typer.Option(None, "--images",
                                      help="with --features fused: folder of the exemplars' pictures "
                                           "(<id>.jpg); adds EfficientNet-Lite0 features used for posts "
                                           "that have a picture")):
    """Embed the hand-annotated exemplars into an index folder (vectors + JSON, no pickle)."""
    quiet_native_logs()
    from riveg_agent.retrieval.build import build_fused_index, build_minilm_index

    with errors_to_exit():
        if images is not None and features != "fused":
            raise typer.BadParameter("--images needs --features fused")
        if features == "fused":
            meta = build_fused_index(data_dir, dataset, out, ner_model, image_weight, images)
        elif features == "minilm":
            meta = build_minilm_index(data_dir, dataset, out)
        else:
            raise typer.BadParameter(f"--features must be fused or minilm, not {features!r}")
        extra = f", {meta['images_found']} with pictures" if "images_found" in meta else ""
        typer.echo(f"{out}: {meta['count']} exemplars, dim {meta['dim']}{extra}")
