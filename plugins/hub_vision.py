"""Vision roles from the standard public Hugging Face checkpoints, for users
who have the weights: a text-prompted open-vocabulary grounder (Grounding
DINO, OWLv2 / OWL-ViT), Segment Anything through `transformers`, and an
image captioner (BLIP, or BLIP-2 / Florence-2 style checkpoints).

A `checkpoint` is a hub id already in the local Hugging Face cache or a local
folder (config.json, weights, processor files). With HF_HUB_OFFLINE set (the
project's default) nothing is downloaded: loading uses local_files_only. No
such weights exist offline here, so the offline default chain does not use
these plugins (the `hub` built-in config does) and they are tested on tiny
random models built from configs. Models load once, lazily, and run under a
lock: one post at a time through each model keeps CPU memory bounded.
Weights keep their own licence (see `models()`).

config:  grounder:  {plugin: riveg.text_grounder.v1, checkpoint: google/owlv2-base-patch16-ensemble,
                     threshold: 0.1}
"""
from __future__ import annotations

import importlib.util
import inspect
import os
import threading
from typing import Any, Optional

import numpy as np

from riveg_agent.core.errors import PluginUnavailable
from riveg_agent.core.roles import (Caption, Captioner, Detection, EntailmentDecision, Expression,
                                    Grounder, Post, Segmenter)
from riveg_agent.core.schema import ModelRef

DEFAULT_GROUNDER = "IDEA-Research/grounding-dino-tiny"
OWLV2_GROUNDER = "google/owlv2-base-patch16-ensemble"
DEFAULT_SAM = "facebook/sam-vit-base"
DEFAULT_CAPTIONER = "Salesforce/blip-image-captioning-base"
OWL_TYPES = ("owlvit", "owlv2")  # one image, a list of text queries
# Licences of the public checkpoint families (hub id prefixes, lower case).
_LICENCES = (("idea-research/grounding-dino", "Apache-2.0"),
             ("google/owlv2", "Apache-2.0"),
             ("google/owlvit", "Apache-2.0"),
             ("facebook/sam-vit", "Apache-2.0"),
             ("salesforce/blip-image-captioning", "BSD-3-Clause"))
_OTHER_LICENCE = "see the checkpoint's model card"


# -- loading and checks, shared by the three plugins ------------------------

def offline() -> bool:
    """HF_HUB_OFFLINE as huggingface_hub reads it, but at call time."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def load_kwargs(checkpoint: str) -> dict[str, Any]:
    """from_pretrained arguments: never the network when offline or for a folder."""
    return {"local_files_only": offline() or os.path.isdir(checkpoint)}


def licence(checkpoint: str) -> str:
    low = checkpoint.lower()
    return next((lic for prefix, lic in _LICENCES if low.startswith(prefix)), _OTHER_LICENCE)


def model_ref(checkpoint: str) -> ModelRef:
    return ModelRef(name=checkpoint, path=checkpoint if os.path.isdir(checkpoint) else None,
                    license=licence(checkpoint))


def check_checkpoint(checkpoint: str, family: str) -> Optional[str]:
    """None when `checkpoint` can be loaded here without a download, else why not."""
    for pkg in ("torch", "transformers"):
        if importlib.util.find_spec(pkg) is None:
            return f"package {pkg} is not installed"
    if os.path.isdir(checkpoint):
        if not os.path.isfile(os.path.join(checkpoint, "config.json")):
            return f"{family} checkpoint folder '{checkpoint}' has no config.json"
        return None
    try:
        from huggingface_hub import try_to_load_from_cache
        found = try_to_load_from_cache(checkpoint, "config.json")
    except Exception as exc:  # noqa: BLE001 - a check reports, never raises
        return f"cannot look up {family} checkpoint '{checkpoint}': {exc}"
    if not isinstance(found, str):  # None, or the cache's "known absent" marker
        return f"{family} checkpoint '{checkpoint}' is not in the local Hugging Face cache"
    return None


def _unavailable(family: str, checkpoint: str, exc: Exception) -> PluginUnavailable:
    where = "the folder" if os.path.isdir(checkpoint) else (
        "the local Hugging Face cache" if offline() else "the hub or its cache")
    return PluginUnavailable(f"cannot load {family} checkpoint '{checkpoint}' from {where} "
                             f"(needs config.json, weights and the processor files): {exc}")


class _HubModel:
    """A (model, processor) pair loaded once on first use, or given ready (tests)."""

    family = "Hugging Face"

    def __init__(self, checkpoint: str, device: str, model=None, processor=None):
        if (model is None) != (processor is None):
            raise ValueError("give both a model and its processor, or neither")
        self.checkpoint, self.device = checkpoint, device
        self._model, self._processor = model, processor
        if model is not None:
            self._model = model.to(device).eval()
        self._lock = threading.RLock()

    def _load_pair(self):
        raise NotImplementedError

    def loaded(self):
        """(model, processor); call with the lock held."""
        if self._model is None:
            try:
                model, processor = self._load_pair()
            except (OSError, ValueError, KeyError) as exc:
                raise _unavailable(self.family, self.checkpoint, exc) from exc
            self._model, self._processor = model.to(self.device).eval(), processor
        return self._model, self._processor

    def models(self) -> list[ModelRef]:
        return [model_ref(self.checkpoint)]


# -- riveg.text_grounder.v1 --------------------------------------------------

def detector_family(checkpoint_or_type: str) -> str:
    low = checkpoint_or_type.lower().replace("_", "-")
    if "grounding-dino" in low:
        return "Grounding DINO"
    if "owlv2" in low:
        return "OWLv2"
    if "owlvit" in low or "owl-vit" in low:
        return "OWL-ViT"
    return "zero-shot detection"


def query_text(expr: Expression) -> str:
    """The text prompt of one referring expression.

    The "(TYPE)" tag is dropped: it is dataset notation (PER/LOC/ORG/MISC)
    the detectors never saw in pre-training, and Grounding DINO would try to
    ground the token "per". What is kept is what a detector can look for:
    the name and the expansion ("Eileen Collins, an astronaut"). A bare
    person's name means nothing to a detector, so a PER without an expansion
    gets the class it knows ("Kawhi Leonard, a person")."""
    name = expr.entity.text.strip()
    expansion = expr.expansion.strip()
    if expansion:
        return f"{name}, {expansion}"
    return f"{name}, a person" if expr.entity.type == "PER" else name


def _clip_box(box, width: int, height: int) -> Optional[tuple[float, float, float, float]]:
    x1, y1, x2, y2 = (float(v) for v in box)
    x1, x2 = max(0.0, min(x1, width)), max(0.0, min(x2, width))
    y1, y2 = max(0.0, min(y1, height)), max(0.0, min(y2, height))
    return (x1, y1, x2, y2) if x2 > x1 and y2 > y1 else None


class TextGrounder(_HubModel, Grounder):
    """Each groundable expression prompts the detector; its best box wins."""

    def __init__(self, checkpoint: str = DEFAULT_GROUNDER, threshold: float = 0.3,
                 device: str = "cpu", model=None, processor=None):
        super().__init__(checkpoint, device, model, processor)
        self.threshold = threshold
        self.family = detector_family(checkpoint)

    def _load_pair(self):
        from transformers import AutoModelForZeroShotObjectDetection, AutoProcessor
        kw = load_kwargs(self.checkpoint)
        return (AutoModelForZeroShotObjectDetection.from_pretrained(self.checkpoint, **kw),
                AutoProcessor.from_pretrained(self.checkpoint, **kw))

    def ground(self, post: Post, expressions: list[Expression], decisions: list[EntailmentDecision],
               evidence=None) -> list[Optional[Detection]]:
        out: list[Optional[Detection]] = [None] * len(expressions)
        todo = [i for i, d in enumerate(decisions[:len(expressions)]) if d.groundable]
        if post.image is None or not todo:
            return out
        import torch

        queries = [query_text(expressions[i]) for i in todo]
        with self._lock, torch.inference_mode():
            model, processor = self.loaded()
            model_type = getattr(model.config, "model_type", "")
            family = detector_family(model_type) if model_type else self.family
            if model_type in OWL_TYPES:
                results = self._owl(model, processor, post, queries)
            else:
                results = self._prompted(model, processor, post, queries)
        for i, res in zip(todo, results):
            best = self._best(res, post.image.width, post.image.height)
            if best is not None:
                box, score = best
                label = "person" if expressions[i].entity.type == "PER" else "object"
                out[i] = Detection(box, score, label, source=self.checkpoint,
                                   note=f"text-prompted {family} score {score:.3f}")
        return out

    def _owl(self, model, processor, post: Post, queries: list[str]) -> list[dict]:
        """One pass: the image with all queries; each query's scores apart.

        The processor's post-processing gives each box only its best query,
        so the query axis is moved into the batch and every query sees every
        box (two expressions may then choose the same box)."""
        image = post.image
        inputs = processor(text=[queries], images=image.work, return_tensors="pt",
                           truncation=True).to(self.device)
        outputs = model(**inputs)
        n = len(queries)
        per_query = type(outputs)(logits=outputs.logits[0].T.unsqueeze(-1),  # (n, boxes, 1)
                                  pred_boxes=outputs.pred_boxes.expand(n, -1, -1))
        postprocess = (getattr(processor, "post_process_grounded_object_detection", None)
                       or processor.post_process_object_detection)  # the older name
        return postprocess(per_query, threshold=0.0, target_sizes=[(image.height, image.width)] * n)

    def _prompted(self, model, processor, post: Post, queries: list[str]) -> list[dict]:
        """Grounding DINO style: one prompt per expression (lower case, ending
        in '.'), batched with the image repeated."""
        image = post.image
        prompts = [q.lower().rstrip(".") + "." for q in queries]
        inputs = processor(images=[image.work] * len(prompts), text=prompts, return_tensors="pt",
                           padding=True, truncation=True).to(self.device)
        outputs = model(**inputs)
        postprocess = processor.post_process_grounded_object_detection
        # Older transformers named the box threshold `box_threshold`.
        params = inspect.signature(postprocess).parameters
        name = "box_threshold" if "box_threshold" in params else "threshold"
        return postprocess(outputs, input_ids=inputs["input_ids"], text_threshold=0.0,
                           target_sizes=[(image.height, image.width)] * len(prompts), **{name: 0.0})

    def _best(self, result: dict, width: int, height: int):
        """The highest-scoring box inside the image reaching the threshold."""
        scores = result["scores"].tolist()
        for k in sorted(range(len(scores)), key=lambda j: -scores[j]):
            if scores[k] < self.threshold:
                break
            box = _clip_box(result["boxes"][k].tolist(), width, height)
            if box is not None:
                return box, float(scores[k])
        return None


def text_grounder(checkpoint: str = DEFAULT_GROUNDER, threshold: float = 0.3,
                  device: str = "cpu") -> TextGrounder:
    """checkpoint: Grounding DINO (IDEA-Research/grounding-dino-tiny, -base) or
    OWLv2 / OWL-ViT (google/owlv2-base-patch16-ensemble); OWLv2 scores run
    lower, a threshold near 0.1 suits it."""
    return TextGrounder(checkpoint, threshold, device)


def check_text_grounder(checkpoint: str = DEFAULT_GROUNDER, **_) -> Optional[str]:
    return check_checkpoint(checkpoint, detector_family(checkpoint))


# -- riveg.hf_sam_segmenter.v1 -----------------------------------------------

def _to_size(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    if mask.shape == (height, width):
        return mask.astype(bool)
    import cv2
    return cv2.resize(mask.astype(np.uint8), (width, height),
                      interpolation=cv2.INTER_NEAREST).astype(bool)


class HfSamSegmenter(_HubModel, Segmenter):
    """Segment Anything prompted with each region's box; the image is embedded once."""

    family = "SAM"

    def __init__(self, checkpoint: str = DEFAULT_SAM, multimask: bool = True,
                 device: str = "cpu", model=None, processor=None):
        super().__init__(checkpoint, device, model, processor)
        self.multimask = multimask

    def _load_pair(self):
        from transformers import SamModel, SamProcessor
        kw = load_kwargs(self.checkpoint)
        return (SamModel.from_pretrained(self.checkpoint, **kw),
                SamProcessor.from_pretrained(self.checkpoint, **kw))

    def segment(self, image, regions, evidence=None) -> list[Optional[np.ndarray]]:
        boxes = [None if r is None else tuple(getattr(r, "box", r)) for r in regions]
        wanted = [i for i, b in enumerate(boxes) if b is not None]
        masks: list[Optional[np.ndarray]] = [None] * len(boxes)
        if not wanted:
            return masks
        import torch

        # The working copy goes in (SAM resizes to 1024 anyway); boxes follow it.
        work_boxes = [[float(v) / image.scale for v in boxes[i]] for i in wanted]
        with self._lock, torch.inference_mode():
            model, processor = self.loaded()
            inputs = processor(images=image.work, input_boxes=[work_boxes],
                               return_tensors="pt").to(self.device)
            embeddings = model.get_image_embeddings(inputs["pixel_values"])
            out = model(image_embeddings=embeddings, input_boxes=inputs["input_boxes"],
                        multimask_output=self.multimask)
            full = processor.image_processor.post_process_masks(
                out.pred_masks.cpu(), inputs["original_sizes"].cpu(),
                inputs["reshaped_input_sizes"].cpu())[0]  # (boxes, k, h, w) on the work copy
            best = out.iou_scores[0].argmax(dim=-1).cpu()
        for j, i in enumerate(wanted):
            mask = full[j, int(best[j])].numpy()
            masks[i] = _to_size(mask, image.width, image.height)
        return masks


def hf_sam_segmenter(checkpoint: str = DEFAULT_SAM, multimask: bool = True,
                     device: str = "cpu") -> HfSamSegmenter:
    """checkpoint: facebook/sam-vit-base, -large, -huge or a folder; multimask:
    SAM proposes 3 masks per box and the best by predicted IoU is kept."""
    return HfSamSegmenter(checkpoint, multimask, device)


def check_hf_sam(checkpoint: str = DEFAULT_SAM, **_) -> Optional[str]:
    return check_checkpoint(checkpoint, "SAM")


# -- riveg.hf_captioner.v1 ---------------------------------------------------

def captioner_family(checkpoint_or_type: str) -> str:
    low = checkpoint_or_type.lower().replace("_", "-")
    if "blip2" in low or "blip-2" in low:
        return "BLIP-2"
    if "blip" in low:
        return "BLIP"
    if "florence" in low:
        return "Florence-2"
    return "captioning"


def _auto_caption_class():
    """The auto class for image-to-text models in the installed transformers."""
    import transformers
    for name in ("AutoModelForImageTextToText", "AutoModelForVision2Seq"):
        cls = getattr(transformers, name, None)
        if cls is not None:
            return cls
    raise PluginUnavailable("this transformers has neither AutoModelForImageTextToText "
                            "nor AutoModelForVision2Seq")


class HfCaptioner(_HubModel, Captioner):
    """A one-sentence caption by greedy decoding (the same image, the same text)."""

    def __init__(self, checkpoint: str = DEFAULT_CAPTIONER, max_new_tokens: int = 30,
                 prompt: Optional[str] = None, device: str = "cpu", model=None, processor=None):
        super().__init__(checkpoint, device, model, processor)
        self.max_new_tokens, self.prompt = max_new_tokens, prompt
        self.family = captioner_family(checkpoint)

    def _load_pair(self):
        from transformers import AutoConfig, AutoProcessor, BlipForConditionalGeneration
        kw = load_kwargs(self.checkpoint)
        # No trust_remote_code: only architectures the installed transformers has.
        config = AutoConfig.from_pretrained(self.checkpoint, **kw)
        cls = BlipForConditionalGeneration if config.model_type == "blip" else _auto_caption_class()
        return (cls.from_pretrained(self.checkpoint, **kw),
                AutoProcessor.from_pretrained(self.checkpoint, **kw))

    def _prompt(self, model) -> Optional[str]:
        if self.prompt is not None:
            return self.prompt or None
        # Florence-2 does nothing without a task token.
        return "<CAPTION>" if getattr(model.config, "model_type", "") == "florence2" else None

    def caption(self, post: Post, evidence=None) -> Optional[Caption]:
        if post.image is None:
            return None
        import torch

        with self._lock, torch.inference_mode():
            model, processor = self.loaded()
            prompt = self._prompt(model)
            kwargs = {"images": post.image.work, "return_tensors": "pt"}
            if prompt:
                kwargs["text"] = prompt
            inputs = processor(**kwargs).to(self.device)
            ids = model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False,
                                 num_beams=1)
            prompt_ids = inputs.get("input_ids")
            if (prompt_ids is not None and ids.shape[1] >= prompt_ids.shape[1]
                    and torch.equal(ids[:, :prompt_ids.shape[1]], prompt_ids)):
                ids = ids[:, prompt_ids.shape[1]:]  # a decoder-only model repeats its input
            text = processor.batch_decode(ids, skip_special_tokens=True)[0].strip()
        return Caption(text, source=self.checkpoint) if text else None


def hf_captioner(checkpoint: str = DEFAULT_CAPTIONER, max_new_tokens: int = 30,
                 prompt: Optional[str] = None, device: str = "cpu") -> HfCaptioner:
    """checkpoint: BLIP (Salesforce/blip-image-captioning-base, -large), or a
    BLIP-2 / Florence-2 style image-to-text checkpoint; prompt: a text prefix
    or task token (Florence-2 defaults to '<CAPTION>')."""
    return HfCaptioner(checkpoint, max_new_tokens, prompt, device)


def check_hf_captioner(checkpoint: str = DEFAULT_CAPTIONER, **_) -> Optional[str]:
    return check_checkpoint(checkpoint, captioner_family(checkpoint))


def register(registry) -> None:
    registry.add("grounder", "riveg.text_grounder.v1", text_grounder,
                 description="text-prompted open-vocabulary detection of each referring "
                             "expression (Grounding DINO or OWLv2 weights in the HF cache or a folder)",
                 check=check_text_grounder)
    registry.add("segmenter", "riveg.hf_sam_segmenter.v1", hf_sam_segmenter,
                 description="Segment Anything through transformers, prompted with the box "
                             "(facebook/sam-vit-* in the HF cache or a folder)",
                 check=check_hf_sam)
    registry.add("captioner", "riveg.hf_captioner.v1", hf_captioner,
                 description="image captioning through transformers (BLIP, BLIP-2, Florence-2 "
                             "weights in the HF cache or a folder)",
                 check=check_hf_captioner)
