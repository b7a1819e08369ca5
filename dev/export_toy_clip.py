"""Exports a trained toy CLIP checkpoint (dev/train_toy_clip.py) as the
shipped open_clip .safetensors, and writes the parity fixture that Loupe's
tests compare against.

    dev/.venv/bin/python dev/export_toy_clip.py --checkpoint dev/work/toy-clip/final.pt

Writes
  Sources/LoupeCLIP/Resources/toy-clip.safetensors   fp16 weights, open_clip
      state_dict names, __metadata__["open_clip_config"] = {model_cfg, preprocess_cfg}
  Tests/Fixtures/clip/toy_clip.reference.safetensors  open_clip's float32
      forward of the shipped (fp16-rounded) weights on a few toy scenes:
      preprocessed pixels, every layer's activations, image embeddings,
      prompt token ids and text embeddings, logit scale
The parity scenes are scenes 0 and 1 of seed 2 with a word on every scene
(`loupe scenes --count 2 --seed 2 --words 1`), read from --scenes.
"""
import argparse
import json
import os
import sys

import open_clip
from open_clip.transform import image_transform
import torch
from PIL import Image
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from openclip_capture import capture_openclip  # noqa: E402
from train_toy_clip import CLASSES, MEAN, MODEL_CFG, STD, TEMPLATES, WORK, build_model  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WEIGHTS = os.path.join(ROOT, "Sources", "LoupeCLIP", "Resources", "toy-clip.safetensors")
FIXTURE = os.path.join(ROOT, "Tests", "Fixtures", "clip", "toy_clip.reference.safetensors")
PARITY_SCENES = 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=os.path.join(WORK, "toy-clip", "final.pt"))
    ap.add_argument("--scenes", default=os.path.join(WORK, "scenes-val-words"))
    args = ap.parse_args()
    torch.set_num_threads(2)

    model = build_model(0)
    model.load_state_dict(torch.load(args.checkpoint, map_location="cpu"))
    model.eval()
    # The shipped weights are fp16; references are computed in float32 from
    # exactly those rounded values.
    with torch.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            if t.is_floating_point():
                t.copy_(t.half().float())

    config = {"model_cfg": MODEL_CFG,
              "preprocess_cfg": {"size": MODEL_CFG["vision_cfg"]["image_size"], "mode": "RGB", "mean": list(MEAN),
                                 "std": list(STD), "interpolation": "bicubic", "resize_mode": "shortest"}}
    state = {k: v.half().contiguous() for k, v in model.state_dict().items()}
    meta = {"open_clip_config": json.dumps(config),
            "prompt_templates": json.dumps(TEMPLATES),
            "description": "Loupe's toy CLIP, trained on toy-world scenes; see toy-clip.md"}
    save_file(state, WEIGHTS, metadata=meta)
    print(f"wrote {WEIGHTS} ({os.path.getsize(WEIGHTS) / 1e6:.2f} MB)")

    # Parity fixture: the same preprocessing open_clip uses for evaluation.
    preprocess = image_transform(MODEL_CFG["vision_cfg"]["image_size"], is_train=False, mean=MEAN, std=STD)
    images = [Image.open(os.path.join(args.scenes, f"scene-{i:06d}.png")) for i in range(PARITY_SCENES)]
    pixels = torch.stack([preprocess(im) for im in images])
    acts, emb = capture_openclip(model, pixels)
    tokenizer = open_clip.get_tokenizer("ViT-B-32")
    tokenizer.context_length = MODEL_CFG["text_cfg"]["context_length"]
    prompts = [TEMPLATES["shape"].format(c) for c in CLASSES["shape"][:4]] + \
              [TEMPLATES["colour"].format("red"), TEMPLATES["background"].format("water")]
    ids = tokenizer(prompts)
    with torch.no_grad():
        text = model.encode_text(ids)
    ref = {k: v.float().contiguous() for k, v in acts.items()}
    ref.update({"pixels": pixels.contiguous(), "image_embeds": emb.float().contiguous(),
                "token_ids": ids.float().contiguous(), "text_embeds": text.float().contiguous(),
                "logit_scale": torch.tensor([model.logit_scale.exp().item()])})
    save_file(ref, FIXTURE, metadata={"prompts": json.dumps(prompts),
                                      "scenes": json.dumps({"seed": 2, "word_probability": 1.0,
                                                            "indices": list(range(PARITY_SCENES))})})
    print(f"wrote {FIXTURE} ({os.path.getsize(FIXTURE) / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
