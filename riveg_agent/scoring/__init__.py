"""Scoring of GMNER / EEG / SMNER / EES / groundability flags as the RiVEG
paper scores them, plus the span-matching core that MNER shares."""
from .errors import ScoringError
from .gold import read_gold
from .match import TASKS, Matcher, MatchResult, score
from .predictions import read_predictions
from .report import evaluate, to_markdown
from .spans import PRF, bio_to_spans, count_matches, score_spans
from .sweep import parse_sweep, plot_sweep
from .triples import GoldSet, GoldTriple, PredictionSet, PredTriple

__all__ = [
    "ScoringError", "read_gold", "read_predictions", "TASKS", "Matcher", "MatchResult", "score",
    "evaluate", "to_markdown", "PRF", "bio_to_spans", "count_matches", "score_spans",
    "parse_sweep", "plot_sweep", "GoldSet", "GoldTriple", "PredictionSet", "PredTriple",
]
