"""Scoring of GMNER / EEG / SMNER / EES / groundability flags as the RiVEG
paper scores them, plus the span-matching core that MNER shares."""
from riveg_agent.scoring.errors import ScoringError
from riveg_agent.scoring.gold import read_gold
from riveg_agent.scoring.match import TASKS, Matcher, MatchResult, score
from riveg_agent.scoring.predictions import read_predictions
from riveg_agent.scoring.report import evaluate, to_markdown
from riveg_agent.scoring.spans import PRF, bio_to_spans, count_matches, score_spans
from riveg_agent.scoring.sweep import parse_sweep, plot_sweep
from riveg_agent.scoring.triples import GoldSet, GoldTriple, PredictionSet, PredTriple

__all__ = [
    "ScoringError", "read_gold", "read_predictions", "TASKS", "Matcher", "MatchResult", "score",
    "evaluate", "to_markdown", "PRF", "bio_to_spans", "count_matches", "score_spans",
    "parse_sweep", "plot_sweep", "GoldSet", "GoldTriple", "PredictionSet", "PredTriple",
]
