"""`riveg batch --engine ray` against `riveg batch`: the same 20 records, the same output.

    python benchmarks/ray_vs_local.py --config default --num-workers 2 --work /tmp/ray-vs-local

Writes IN.jsonl (18 posts on scikit-image's public-domain/CC0 sample pictures,
copied to images/ and named by relative paths, or text alone; one missing
picture; one empty text) into --work, runs both commands as a user would
(subprocesses, each with a fresh LLM cache, so both compute everything;
RIVEG_THREADS=1), and prints JSON: seconds for each, and whether the ids,
the kinds, the entities (text, type, span), the groundable decisions, the
boxes, the masks, the error records and the whole records (timings aside)
are the same.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POSTS = [
    ("astronaut.png", "NASA astronaut Eileen Collins poses for her official portrait at the Johnson Space Center in Houston."),
    ("camera.png", "Photographer Ansel Adams at work with his camera in Yosemite National Park."),
    ("chelsea.png", "Our cat Chelsea waiting for dinner in Brooklyn #caturday"),
    ("coffee.png", "Morning espresso at Starbucks before the Microsoft keynote in Seattle."),
    ("horse.png", "Secretariat won the Kentucky Derby at Churchill Downs in 1973."),
    ("rocket.jpg", "SpaceX launches a Falcon 9 rocket from Cape Canaveral, Florida."),
    ("motorcycle_left.png", "Valentino Rossi shows off his new Yamaha bike in Milan."),
    ("hubble_deep_field.jpg", "The Hubble Space Telescope captured thousands of galaxies, says NASA."),
    (None, "Lionel Messi signs with Inter Miami, David Beckham confirms."),
    ("astronaut.png", "RT @NASA: Eileen Collins was the first woman to command a Space Shuttle mission."),
    ("coffee.png", "Coffee with Taylor Swift in Nashville? Dream morning."),
    ("chelsea.png", "Barack Obama spotted with a cat at the White House"),
    ("camera.png", "Steven Spielberg films his next movie in London with Universal Pictures."),
    (None, "Manchester United beat Liverpool at Old Trafford on Sunday."),
    ("horse.png", "Queen Elizabeth watches the horses at Royal Ascot."),
    ("rocket.jpg", "Elon Musk says Starship will fly to Mars from Texas."),
    ("page.png", "Reading the New York Times about Angela Merkel in Berlin."),
    ("logo.png", "The scikit-image team released a new version on GitHub."),
    ("missing.jpg", "A post whose picture is not there: Paris at night."),  # image_missing error record
    ("astronaut.png", ""),  # bad_text error record
]


def write_input(work: Path) -> Path:
    import skimage
    data = Path(skimage.__file__).parent / "data"
    (work / "images").mkdir(parents=True, exist_ok=True)
    with (work / "in.jsonl").open("w") as f:
        for i, (image, text) in enumerate(POSTS):
            if image is not None and (data / image).is_file():
                shutil.copyfile(data / image, work / "images" / image)
            rec = {"id": f"p{i:02d}", "text": text, "image": f"images/{image}" if image else None}
            f.write(json.dumps(rec) + "\n")
    return work / "in.jsonl"


def run(args: list[str], work: Path) -> float:
    env = dict(os.environ, RIVEG_CACHE_DIR=tempfile.mkdtemp(prefix="riveg-cache-"))
    env.setdefault("RIVEG_THREADS", "1")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "riveg_agent", "batch", *args], cwd=work, env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"riveg batch {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return round(time.perf_counter() - t0, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="default")
    ap.add_argument("--num-workers", type=int, default=2)
    ap.add_argument("--work", type=Path, required=True, help="a folder for IN.jsonl, the pictures and both outputs")
    args = ap.parse_args()

    work = args.work.resolve()
    for old in ("local.jsonl", "ray.jsonl"):
        (work / old).unlink(missing_ok=True)
    write_input(work)
    local_s = run(["in.jsonl", "local.jsonl", "--config", args.config], work)
    ray_s = run(["in.jsonl", "ray.jsonl", "--config", args.config, "--engine", "ray",
                 "--num-workers", str(args.num_workers)], work)

    def read(name: str) -> list[dict]:
        return [json.loads(line) for line in (work / name).read_text().splitlines()]

    local, on_ray = read("local.jsonl"), read("ray.jsonl")

    def per_entity(recs: list[dict], *keys: str) -> list:
        return [[tuple(e[k] if not isinstance(e[k], list) else tuple(e[k]) for k in keys)
                 for e in r.get("entities", [])] for r in recs]

    def without_timings(recs: list[dict]) -> list[dict]:
        return [{k: v for k, v in r.items() if k != "timings"} for r in recs]

    print(json.dumps({
        "records": [len(local), len(on_ray)],
        "results_errors_local": [sum(r["kind"] != "riveg-agent/error" for r in local),
                                 sum(r["kind"] == "riveg-agent/error" for r in local)],
        "entities_local": sum(len(r.get("entities", [])) for r in local),
        "boxes_local": sum(e["box"] is not None for r in local for e in r.get("entities", [])),
        "same_ids_in_order": [r["id"] for r in local] == [r["id"] for r in on_ray],
        "same_kinds": [r["kind"] for r in local] == [r["kind"] for r in on_ray],
        "same_entities": per_entity(local, "text", "type", "start", "end") ==
        per_entity(on_ray, "text", "type", "start", "end"),
        "same_groundable": per_entity(local, "groundable") == per_entity(on_ray, "groundable"),
        "same_boxes": per_entity(local, "box") == per_entity(on_ray, "box"),
        "same_masks": [[e["mask"] for e in r.get("entities", [])] for r in local] ==
        [[e["mask"] for e in r.get("entities", [])] for r in on_ray],
        "same_error_records": [r.get("error") for r in local] == [r.get("error") for r in on_ray],
        "same_records_timings_aside": without_timings(local) == without_timings(on_ray),
        "seconds_local": local_s, "seconds_ray": ray_s, "num_workers": args.num_workers,
        "config": args.config,
    }, indent=1))


if __name__ == "__main__":
    main()
