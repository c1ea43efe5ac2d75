"""Gold readers: Twitter-GMNER CoNLL + VOC XML, the paper's gold file, and
Twitter-SMNER labelme masks (see labelme.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

from riveg_agent.scoring.conll import gold_from_conll, read_text
from riveg_agent.scoring.errors import ScoringError, where
from riveg_agent.scoring.paper import looks_like_paper, parse_line
from riveg_agent.scoring.triples import GoldSet, GoldTriple
from riveg_agent.scoring.voc import read_voc

GoldFormat = Literal["auto", "conll", "riveg", "labelme"]


def default_xml_dir(conll_path: Path) -> Path:
    # twitter-gmner/txt/test.txt -> twitter-gmner/xml
    return conll_path.resolve().parent.parent / "xml"


def read_conll_xml(path: Path, xml_dir: Optional[Path] = None) -> GoldSet:
    """Groundable iff the entity string equals a <name> of the image's XML;
    every box of that name is a gold region."""
    xml_dir = xml_dir or default_xml_dir(path)
    if not xml_dir.is_dir():
        raise ScoringError(f"{xml_dir}: XML folder not found (give --xml-dir)")
    triples, images = gold_from_conll(path, lambda image: read_voc(xml_dir / f"{image}.xml"))
    return GoldSet(triples, images, "box", "conll", str(path))


def read_paper_gold(path: Path) -> GoldSet:
    triples: list[GoldTriple] = []
    for n, line in enumerate(read_text(path), start=1):
        if not line.strip():
            continue
        src = where(path, n)
        rec = parse_line(line, src, frozenset({0, 2}))
        if rec.flag == 2 and not rec.boxes:
            raise ScoringError(f"{src}: groundable (2) entity without a box")
        regions = tuple(rec.boxes) if rec.flag == 2 else ()
        triples.append(GoldTriple(rec.image, rec.entity, rec.type, regions, src, rec.expansion))
    return GoldSet(triples, {t.image for t in triples}, "box", "riveg", str(path))


def sniff(path: Path) -> str:
    if path.is_dir():
        return "labelme"
    for line in read_text(path):
        if line.strip():
            return "riveg" if looks_like_paper(line) else "conll"
    raise ScoringError(f"{path}: empty gold file")


def read_gold(path: Path, fmt: GoldFormat = "auto", xml_dir: Optional[Path] = None,
              conll: Optional[Path] = None) -> GoldSet:
    if not path.exists():
        raise ScoringError(f"{path}: no such file or folder")
    kind = sniff(path) if fmt == "auto" else fmt
    if kind == "riveg":
        return read_paper_gold(path)
    if kind == "conll":
        return read_conll_xml(path, xml_dir)
    if kind == "labelme":
        from riveg_agent.scoring.labelme import read_labelme_gold

        if conll is None:
            raise ScoringError(f"{path}: labelme mask gold needs the CoNLL file (give --conll)")
        return read_labelme_gold(path, conll)
    raise ScoringError(f"unknown gold format {fmt!r}")
