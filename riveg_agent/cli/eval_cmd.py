"""`riveg eval ...`: a thin CLI over riveg_agent.scoring."""
from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Callable, NoReturn, Optional

import typer

from riveg_agent.scoring import ScoringError, evaluate, parse_sweep, plot_sweep, read_gold, \
    read_predictions, to_markdown
from riveg_agent.scoring.convert import write_pred_lines

app = typer.Typer(help="Score predictions against gold (GMNER, EEG, SMNER, EES, groundability "
                       "flags) as the RiVEG paper does.", no_args_is_help=True)


class PredFormat(str, Enum):
    riveg_agent = "riveg-agent"
    riveg = "riveg"


class GoldFormat(str, Enum):
    auto = "auto"
    conll = "conll"
    riveg = "riveg"
    labelme = "labelme"


PredOpt = Annotated[Path, typer.Option("--pred", help="predictions file")]
GoldOpt = Annotated[Path, typer.Option(
    "--gold", help="gold: CoNLL file (+ XML folder), the paper's gold file, or a labelme folder")]
FormatOpt = Annotated[PredFormat, typer.Option(
    "--format", help="predictions: riveg-agent JSONL or the paper's lines")]
GoldFormatOpt = Annotated[GoldFormat, typer.Option(
    "--gold-format", help="auto: folder = labelme, '###' lines = paper, else CoNLL")]
XmlOpt = Annotated[Optional[Path], typer.Option(
    "--xml-dir", help="VOC XML folder for CoNLL gold (default: <gold>/../../xml)")]
ConllOpt = Annotated[Optional[Path], typer.Option(
    "--conll", help="CoNLL file with the entities of labelme mask gold")]
IouOpt = Annotated[float, typer.Option("--iou", min=0.0, max=1.0, help="IoU threshold")]
SweepOpt = Annotated[Optional[str], typer.Option(
    "--sweep", help="START:STOP:STEP thresholds, e.g. 0.5:0.95:0.05")]
ByTypeOpt = Annotated[bool, typer.Option("--by-type", help="add per-type P/R/F1")]
MarkdownOpt = Annotated[bool, typer.Option("--markdown", help="print a markdown table")]
PlotOpt = Annotated[Optional[Path], typer.Option("--plot", help="write the sweep as a PNG")]


def _fail(exc: Exception) -> NoReturn:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(2)


def _run(task: str, pred: Path, gold: Path, fmt: PredFormat, gold_format: GoldFormat,
         xml_dir: Optional[Path], conll: Optional[Path], iou: float, sweep: Optional[str],
         by_type: bool, markdown: bool, plot: Optional[Path]) -> None:
    try:
        thresholds = parse_sweep(sweep) if sweep else None
        if plot is not None and not thresholds:
            raise ScoringError("--plot needs --sweep")
        g = read_gold(gold, gold_format.value, xml_dir, conll)  # type: ignore[arg-type]
        p = read_predictions(pred, fmt.value)  # type: ignore[arg-type]
        result = evaluate(task, g, p, iou, thresholds, by_type)
        missing, named = result.get("pred_images_not_in_gold", 0), len(p.images)
        if named and missing > named / 2:
            raise ScoringError(f"{pred}: {missing} of the {named} images it names are not in {gold}; "
                               "the files do not belong together, or the image ids are written another way")
        if missing:
            typer.echo(f"warning: {missing} of the {named} images in {pred} are not in {gold} "
                       "(their entities count as false positives)", err=True)
        if plot is not None:
            plot_sweep(result["sweep"], plot, f"{task.upper()}: scores by IoU threshold")
    except ScoringError as exc:
        _fail(exc)
    typer.echo(to_markdown(result) if markdown else json.dumps(result, indent=2))


def _region_command(task: str, doc: str) -> Callable[..., None]:
    def command(pred: PredOpt, gold: GoldOpt, fmt: FormatOpt = PredFormat.riveg_agent,
                gold_format: GoldFormatOpt = GoldFormat.auto, xml_dir: XmlOpt = None,
                conll: ConllOpt = None, iou: IouOpt = 0.5, sweep: SweepOpt = None,
                by_type: ByTypeOpt = False, markdown: MarkdownOpt = False,
                plot: PlotOpt = None) -> None:
        _run(task, pred, gold, fmt, gold_format, xml_dir, conll, iou, sweep, by_type,
             markdown, plot)

    command.__doc__ = doc
    return command


app.command("gmner")(_region_command(
    "gmner", "Entity + type + box (IoU >= threshold, or both None)."))
app.command("eeg")(_region_command("eeg", "Entity + box, type ignored."))
app.command("smner")(_region_command(
    "smner", "Entity + type + mask (mask IoU); needs labelme gold and JSONL masks."))
app.command("ees")(_region_command("ees", "Entity + mask, type ignored."))


@app.command("flag")
def flag(pred: PredOpt, gold: GoldOpt, fmt: FormatOpt = PredFormat.riveg_agent,
         gold_format: GoldFormatOpt = GoldFormat.auto, xml_dir: XmlOpt = None,
         conll: ConllOpt = None, by_type: ByTypeOpt = False,
         markdown: MarkdownOpt = False) -> None:
    """Entity + type + groundability, regions ignored (box-agnostic)."""
    _run("flag", pred, gold, fmt, gold_format, xml_dir, conll, 0.5, None, by_type, markdown, None)


@app.command("gold-to-pred")
def gold_to_pred(gold: GoldOpt, out: Annotated[Path, typer.Option("--out", help="output file")],
                 gold_format: GoldFormatOpt = GoldFormat.auto,
                 xml_dir: XmlOpt = None) -> None:
    """Write gold as the paper's prediction lines (a perfect system)."""
    try:
        n = write_pred_lines(read_gold(gold, gold_format.value, xml_dir), out)  # type: ignore[arg-type]
    except ScoringError as exc:
        _fail(exc)
    typer.echo(json.dumps({"out": str(out), "lines": n}))


class MnerDataset(str, Enum):
    twitter2015 = "twitter2015"
    twitter2017 = "twitter2017"
    twitter_gmner = "twitter-gmner"


class MnerKnowledge(str, Enum):
    none = "none"
    dataset = "dataset"
    local = "local"


@app.command("mner")
def mner(model: Annotated[str, typer.Option("--model", help="shipped model name or model folder")] = "plim-mpnet-t17-mix",
         dataset: Annotated[MnerDataset, typer.Option("--dataset")] = MnerDataset.twitter2017,
         split: Annotated[str, typer.Option("--split", help="train, dev or test")] = "test",
         data_dir: Annotated[Path, typer.Option("--data-dir", help="folder with the datasets")] = Path("../shared/data"),
         knowledge: Annotated[MnerKnowledge, typer.Option(
             "--knowledge", help="none: post only; dataset: the dataset's LLM knowledge; "
                                 "local: a file from `riveg knowledge generate` (--knowledge-file)")] = MnerKnowledge.dataset,
         knowledge_file: Annotated[Optional[Path], typer.Option(
             "--knowledge-file", help="with --knowledge local: the <EOS> knowledge file; only "
                                      "the tweets it covers are scored")] = None,
         limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="only the first N tweets")] = None,
         threads: Annotated[int, typer.Option("--threads", min=1)] = 2) -> None:
    """Span-level micro and per-type P/R/F1 (conlleval chunking) of an NER model."""
    from riveg_agent.core.errors import RivegError
    from riveg_agent.ner.evaluate import evaluate_mner
    try:
        result = evaluate_mner(model, dataset.value, split, data_dir, knowledge.value,
                               threads=threads, knowledge_file=knowledge_file, limit=limit)
    except (RivegError, OSError) as exc:
        _fail(exc)
    typer.echo(json.dumps(result, indent=2))


@app.command("ve")
def ve(model: Annotated[str, typer.Option("--model", help="shipped VE model name or model folder")] = "ve-minilm-gmner",
       split: Annotated[str, typer.Option("--split", help="train, dev or test")] = "test",
       data_dir: Annotated[Path, typer.Option("--data-dir", help="folder with twitter-gmner/ and captions/")] = Path("../shared/data"),
       expansions: Annotated[Optional[Path], typer.Option(
           "--expansions", help="JSONL {image, entity, type, expansion} for the referring expressions")] = None,
       images: Annotated[Optional[Path], typer.Option(
           "--images", help="the tweet images (<image id>.jpg); --model is then a folder from riveg train clip-ve")] = None,
       knowledge: Annotated[str, typer.Option(
           "--knowledge", help="dataset: the posts' knowledge from twitter-gmner/knowledge/ for a model "
                               "trained to read it; none: without")] = "dataset",
       threshold: Annotated[Optional[float], typer.Option("--threshold", help="default: the model's (chosen on dev)")] = None,
       limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="only the first N entities")] = None,
       threads: Annotated[int, typer.Option("--threads", min=1)] = 2) -> None:
    """Visual entailment with gold entities on Twitter-GMNER: accuracy, P/R/F1
    of the groundable class, majority baseline, per-type accuracy. With
    --images, a fine-tuned CLIP VE judges from the pictures (entities whose
    picture is missing are left out)."""
    import torch

    from riveg_agent.core.errors import RivegError
    from riveg_agent.ve.data import load_ve_split
    from riveg_agent.ve.evaluate import metrics
    missing_images = 0
    if knowledge not in ("dataset", "none"):
        _fail(ValueError(f"--knowledge must be 'dataset' or 'none', not {knowledge!r}"))
    read_knowledge = False
    try:
        torch.set_num_threads(threads)
        if images is None:
            from riveg_agent.ve import io as ve_io
            from riveg_agent.ve.train import predict
            net, tokenizer, _ = ve_io.load(model)
            read_knowledge = knowledge == "dataset" and net.config.use_knowledge
            examples = load_ve_split(data_dir, split, expansions, read_knowledge)[:limit]
            probs = predict(net, tokenizer, examples)
            model_threshold = net.config.threshold
        else:
            from riveg_agent.ve import clip
            examples = load_ve_split(data_dir, split, expansions)
            net, processor, calibration = clip.load(model)
            if calibration is None:
                raise RivegError(f"--images: {model} is not a folder written by riveg train clip-ve "
                                 f"(no {clip.CALIBRATION})")
            pairs, missing_images = clip.with_images(examples, images, split)
            pairs = pairs[:limit]
            examples = [e for e, _ in pairs]
            probs = clip.probabilities(net, processor, calibration["template"], pairs)
            model_threshold = calibration["threshold"]
    except (RivegError, OSError) as exc:
        _fail(exc)
    result = metrics(examples, probs, model_threshold if threshold is None else threshold)
    result.update({"model": model, "split": split,
                   "expansions": str(expansions) if expansions else None,
                   "images": str(images) if images else None,
                   "missing_images": missing_images if images else None,
                   "knowledge": "dataset" if read_knowledge else "none",
                   "with_expansion": sum(1 for e in examples if e.expansion)})
    typer.echo(json.dumps(result, indent=2))
