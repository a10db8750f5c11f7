"""Build seq2seq models locally, with the real classes and tokenizer types, from text at hand.

The real weights cannot be downloaded everywhere (tests, CI, benchmarks). These builders make
models that load through exactly the same code as the real ones:

- Marian: a SentencePiece model trained on the given text, a vocab.json laid out as in opus-mt
  (`</s>` = 0, `<unk>` = 1, `<pad>` last = decoder start), MarianMTModel weights.
- BART: a byte-level BPE trained on the given text (vocab.json + merges.txt), BartTokenizer,
  BartForConditionalGeneration with the CNN summariser's generation settings.

`MARIAN_OPUS_DE_EN` and `BART_DISTILBART_CNN` give the real architectures (random weights: right
cost per token, meaningless output); tests use tiny sizes.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Architecture:
    d_model: int
    encoder_layers: int
    decoder_layers: int
    heads: int
    ffn: int
    vocab_size: int  # the model's vocabulary; the trained tokenizer is padded up to it
    max_positions: int


MARIAN_OPUS_DE_EN = Architecture(512, 6, 6, 8, 2048, 58101, 512)
BART_LARGE_CNN = Architecture(1024, 12, 12, 16, 4096, 50264, 1024)
BART_DISTILBART_CNN = Architecture(1024, 12, 6, 16, 4096, 50264, 1024)
MARIAN_TINY = Architecture(32, 1, 1, 2, 64, 0, 512)  # vocab_size 0: as many as the tokenizer has
BART_TINY = Architecture(32, 1, 1, 2, 64, 0, 1024)


def _size_settings(arch: Architecture) -> dict[str, int]:
    """The config keywords for an architecture's size, shared by Marian and BART configs."""
    return {
        "d_model": arch.d_model,
        "encoder_layers": arch.encoder_layers,
        "decoder_layers": arch.decoder_layers,
        "encoder_attention_heads": arch.heads,
        "decoder_attention_heads": arch.heads,
        "encoder_ffn_dim": arch.ffn,
        "decoder_ffn_dim": arch.ffn,
        "max_position_embeddings": arch.max_positions,
    }


def build_marian(
    texts: Iterable[str], folder: Path, arch: Architecture, spm_vocab: int = 600, seed: int = 0
) -> Path:
    """Train a SentencePiece model on `texts` and save a Marian model + tokenizer in `folder`."""
    import sentencepiece as spm
    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel, MarianTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "spm"
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(list(texts)),
            model_prefix=str(prefix),
            vocab_size=spm_vocab,
            model_type="unigram",
            character_coverage=1.0,
            hard_vocab_limit=False,
            minloglevel=2,
        )
        shutil.copy(f"{prefix}.model", folder / "source.spm")
        shutil.copy(f"{prefix}.model", folder / "target.spm")
    processor = spm.SentencePieceProcessor(model_file=str(folder / "source.spm"))
    pieces = [
        processor.id_to_piece(i)
        for i in range(processor.get_piece_size())
        if not (processor.is_control(i) or processor.is_unknown(i))
    ]
    vocab = ["</s>", "<unk>", *pieces]
    size = max(arch.vocab_size, len(vocab) + 1)
    vocab += [f"<filler_{i}>" for i in range(size - 1 - len(vocab))]
    vocab.append("<pad>")
    (folder / "vocab.json").write_text(
        json.dumps({p: i for i, p in enumerate(vocab)}, ensure_ascii=False), encoding="utf-8"
    )
    pad = len(vocab) - 1
    tokenizer = MarianTokenizer(
        source_spm=str(folder / "source.spm"),
        target_spm=str(folder / "target.spm"),
        vocab=str(folder / "vocab.json"),
        model_max_length=arch.max_positions,
    )
    config = MarianConfig(
        vocab_size=len(vocab),
        **_size_settings(arch),
        activation_function="swish",
        pad_token_id=pad,
        eos_token_id=0,
        decoder_start_token_id=pad,
        forced_eos_token_id=0,
        scale_embedding=True,
        share_encoder_decoder_embeddings=True,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    model = MarianMTModel(config)
    zero_pad_embedding(model)
    model.generation_config = GenerationConfig(
        num_beams=4,
        max_length=arch.max_positions,
        bad_words_ids=[[pad]],
        pad_token_id=pad,
        eos_token_id=0,
        decoder_start_token_id=pad,
        forced_eos_token_id=0,
    )
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def zero_pad_embedding(model: Any) -> None:
    """Make `<pad>`'s embedding zero, as in every opus-mt model (Marian had no pad token; the
    conversion to transformers appended a zero row). CTranslate2 relies on it: it starts the
    decoder from a zero embedding, where transformers looks up `<pad>`."""
    import torch

    with torch.no_grad():
        model.get_input_embeddings().weight[model.config.pad_token_id].zero_()


def build_bart(
    texts: Iterable[str], folder: Path, arch: Architecture, bpe_vocab: int = 1000, seed: int = 0
) -> Path:
    """Train a byte-level BPE on `texts` and save a BART summariser + tokenizer in `folder`."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import BartConfig, BartForConditionalGeneration, BartTokenizer, GenerationConfig

    folder.mkdir(parents=True, exist_ok=True)
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        list(texts), vocab_size=bpe_vocab, min_frequency=1, special_tokens=specials, show_progress=False
    )
    bpe.save_model(str(folder))
    vocab: dict[str, int] = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    size = max(arch.vocab_size, len(vocab) + 1)
    for i in range(size - 1 - len(vocab)):
        vocab[f"<filler_{i}>"] = len(vocab)
    vocab["<mask>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    # transformers 5.x: vocab=/merges= take paths; the 4.x vocab_file= keywords are silently ignored.
    tokenizer = BartTokenizer(
        vocab=str(folder / "vocab.json"),
        merges=str(folder / "merges.txt"),
        model_max_length=arch.max_positions,
    )
    config = BartConfig(
        vocab_size=len(vocab),
        **_size_settings(arch),
        activation_function="gelu",
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        forced_bos_token_id=0,
        forced_eos_token_id=2,
        scale_embedding=False,
        # Fields the hub configs carry and CTranslate2's converter reads.
        normalize_before=False,
        add_final_layer_norm=False,
        normalize_embedding=True,
        static_position_embeddings=False,
    )
    torch.manual_seed(seed)
    model = BartForConditionalGeneration(config)
    model.generation_config = GenerationConfig(
        num_beams=4,
        min_length=56,
        max_length=142,
        length_penalty=2.0,
        no_repeat_ngram_size=3,
        early_stopping=True,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        forced_bos_token_id=0,
        forced_eos_token_id=2,
    )
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def main(argv: list[str] | None = None) -> int:
    """`python -m summarise.localmodels tiny-summariser FOLDER [--text PATH ...]`: a tiny
    random-weight summariser (the real classes; it writes noise) to see summarise work without
    the hub, next to the copy model in tests/data/copy-marian."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m summarise.localmodels",
        description="Build a tiny random-weight BART summariser (it writes noise) to try summarise "
        "without the real models.",
    )
    parser.add_argument("what", choices=["tiny-summariser"])
    parser.add_argument("folder", type=Path, help="where to save it")
    parser.add_argument(
        "--text",
        type=Path,
        action="append",
        help="German text files or folders to train its tokenizer on (default: seeds/)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # before transformers is imported
    sources = args.text or [Path("seeds")]
    files = [
        path
        for source in sources
        for path in (sorted(source.rglob("*")) if source.is_dir() else [source])
        if path.is_file() and path.suffix in (".txt", ".md")
    ]
    lines = [line.strip() for path in files for line in path.read_text("utf-8", "replace").splitlines()]
    if not any(lines):
        print(
            f"error: no .txt or .md text in {', '.join(map(str, sources))} to train a tokenizer on",
            file=sys.stderr,
        )
        return 2
    build_bart([line for line in lines if line], args.folder, BART_TINY)
    print(f"a tiny summariser (random weights: it writes noise) in {args.folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
