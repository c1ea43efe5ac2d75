"""The vision stages on hand-labelled public-domain photos: for each gold
entity (taken as groundable, so the VE is out of the figure), does the
grounder's box reach IoU >= 0.5 with the hand-drawn box; and the seconds of
detection, captioning, grounding and segmentation per post, after one warm-up.

    python benchmarks/vision_check.py [--config default]

Gold: tests/fixtures/gold/check-set.json (scikit-image's public-domain
astronaut, camera and coffee photos, posts written for them, boxes drawn by
hand). Three photos are a smoke check, not a benchmark of GMNER grounding.
"""
from __future__ import annotations

import argparse
import io
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def picture(ref: str) -> bytes:
    from PIL import Image
    from skimage import data
    buf = io.BytesIO()
    Image.fromarray(getattr(data, ref.split(":", 1)[1])()).save(buf, "PNG")
    return buf.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="default")
    args = ap.parse_args()

    import riveg_agent
    from riveg_agent.core.pipeline import make_post
    from riveg_agent.core.roles import EntailmentDecision, EntitySpan, Expression
    from riveg_agent.core.state import ChainState
    from riveg_plugins.vision_detector import iou

    nlp = riveg_agent.load(args.config)
    posts = json.loads((ROOT / "tests/fixtures/gold/check-set.json").read_text())["posts"]
    t0 = time.perf_counter()
    nlp.run_state(make_post("warm-up", "warm up", picture(posts[0]["image"])), until="captioner")
    load_s = time.perf_counter() - t0
    rows, hits, total = [], 0, 0
    for p in posts:
        state = ChainState(make_post(p["id"], p["text"], picture(p["image"])))
        nlp.advance(state, "captioner")
        ents = [EntitySpan(e["text"], e["type"], p["text"].index(e["text"]),
                           p["text"].index(e["text"]) + len(e["text"])) for e in p["entities"]]
        # gold entities, taken as groundable: only the vision stages are measured
        state.entities, state.expressions = ents, [Expression(e, "") for e in ents]
        state.decisions = [EntailmentDecision(True, 1.0, "gold") for _ in ents]
        state.done += ["exemplars", "knowledge", "recognizer", "expander", "entailment"]
        nlp.advance(state)
        for e, region in zip(p["entities"], state.regions):
            score = iou(region.box, tuple(e["box"])) if region is not None else 0.0
            hits += score >= 0.5
            total += 1
            rows.append({"post": p["id"], "entity": e["text"], "iou": round(score, 3),
                         "box": [round(v) for v in region.box] if region else None,
                         "caption": state.caption.text if state.caption else None,
                         "seconds": {k: state.timings[k] for k in ("detector", "captioner", "grounder",
                                                                   "segmenter")}})
    vision_s = [sum(r["seconds"].values()) for r in rows]
    print(json.dumps({"config": args.config, "first_post_with_model_loads_s": round(load_s, 3),
                      "boxed_iou_0.5": f"{hits}/{total}", "vision_s_per_post_max": round(max(vision_s), 3),
                      "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
