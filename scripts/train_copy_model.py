"""Train the small Marian model the tests use to check translation end to end.

    python scripts/train_copy_model.py [--minutes 4] [--out tests/data/copy-marian]

A MarianMTModel (d_model 128, 2+2 layers) with a 600-piece SentencePiece vocabulary trained on the
seed articles learns to copy its German input. A pipeline that loses, reorders or truncates
anything then shows it: every source sentence must come back in the output. Random weights cannot
show that. The result (about 4 MB) is committed, so tests never train.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarise.localmodels import Architecture, build_marian, zero_pad_embedding  # noqa: E402
from summarise.segment import split_sentences  # noqa: E402

COPY_ARCH = Architecture(
    d_model=128, encoder_layers=2, decoder_layers=2, heads=4, ffn=512, vocab_size=0, max_positions=512
)


def seed_sentences() -> list[str]:
    sentences = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            sentences.extend(split_sentences(line))
    return sentences


def synthetic(words: list[str], rng: random.Random, count: int) -> list[str]:
    """Random word sequences: the model must learn to copy, not to remember the seeds."""
    out = []
    for _ in range(count):
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(3, 30)))
        out.append(sentence[0].upper() + sentence[1:] + rng.choice([".", ".", ".", "?", "!"]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "copy-marian")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import torch
    from transformers import MarianMTModel, MarianTokenizer

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    rng = random.Random(0)
    sentences = seed_sentences()
    words = sorted({w for s in sentences for w in re.findall(r"\S+", s)})
    held_out = synthetic(words, random.Random(1), 40)
    build_marian(sentences + synthetic(words, rng, 2000), args.out, COPY_ARCH, spm_vocab=600)
    tokenizer = MarianTokenizer.from_pretrained(args.out)
    model = MarianMTModel.from_pretrained(args.out)
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train()
    deadline = time.monotonic() + args.minutes * 60
    step = 0
    while time.monotonic() < deadline:
        batch_text = [
            rng.choice(sentences) if rng.random() < 0.3 else synthetic(words, rng, 1)[0] for _ in range(16)
        ]
        batch = tokenizer(batch_text, text_target=batch_text, padding=True, return_tensors="pt")
        batch["labels"][batch["labels"] == tokenizer.pad_token_id] = -100
        loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        optimiser.zero_grad()
        zero_pad_embedding(model)  # weight decay and momentum would move it
        step += 1
        if step % 200 == 0:
            print(f"step {step} loss {loss.item():.3f}", flush=True)
    model.eval()
    exact = 0
    with torch.inference_mode():
        for text in held_out:
            ids = model.generate(**tokenizer(text, return_tensors="pt"), num_beams=1, max_new_tokens=128)
            exact += tokenizer.decode(ids[0], skip_special_tokens=True) == text
    print(f"{step} steps; copied {exact} of {len(held_out)} unseen sentences exactly (greedy)")
    model.save_pretrained(args.out)
    tokenizer.save_pretrained(args.out)


if __name__ == "__main__":
    main()
