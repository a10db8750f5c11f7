"""Models: the manifest of default models, resolving a model to a folder, and loading it.

A model is named by a Hugging Face hub id or a local folder. Hub ids are looked up in the Hugging
Face cache first (no network, no import of torch), and downloaded only when missing and the network
is allowed. The commit that was resolved is what every brief and cache key records.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import (
    ConfigError,
    InputError,
    ModelLoadError,
    ModelUnavailableError,
    SummariseError,
    error_line,
)
from .files import read_bytes, read_small_text

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

log = logging.getLogger(__name__)

ROLES = ("translator", "summariser")
LOCAL_FOLDER = "local folder"

# Files a seq2seq model needs; weights are chosen separately so that safetensors wins over pickles.
_SMALL_FILES = re.compile(
    r"^(config\.json|generation_config\.json|tokenizer(_config)?\.json|special_tokens_map\.json"
    r"|vocab\.json|merges\.txt|added_tokens\.json|source\.spm|target\.spm|.*\.model)$"
)


@dataclass(frozen=True)
class ModelSpec:
    """A model as configured: from the manifest, or from a command-line option."""

    role: str
    name: str
    revision: str = "main"
    licence: str = ""


@dataclass(frozen=True)
class ResolvedModel:
    """A model found on disk: `revision` is the hub commit, or a fingerprint for a local folder."""

    name: str
    path: Path
    revision: str
    source: str  # "local folder" or "hugging face cache"

    @property
    def identity(self) -> str:
        """What the model is, for cache keys and converted copies: a hub id, or for a local folder
        its fingerprint alone, so that `./m`, `m` and `/abs/m` are one model, not three."""
        return f"local-folder:{self.revision}" if self.source == LOCAL_FOLDER else self.name


def manifest_path() -> Path:
    """The manifest in use: $SUMMARISE_MANIFEST, the copy packaged in a wheel, or the repo's."""
    if override := os.environ.get("SUMMARISE_MANIFEST"):
        return Path(override)
    packaged = Path(__file__).with_name("models_manifest.toml")
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "models" / "manifest.toml"


def load_manifest(path: Path | None = None) -> dict[str, ModelSpec]:
    path = path or manifest_path()
    try:
        data = tomllib.loads(read_small_text(path))
    except InputError as error:
        raise ConfigError(f"cannot read the model manifest {path}: {error.reason}") from None
    except (OSError, tomllib.TOMLDecodeError, RecursionError) as error:
        raise ConfigError(f"cannot read the model manifest {path}: {error or 'nested too deeply'}") from None
    specs = {}
    for role in ROLES:
        entry = data.get(role)
        if not isinstance(entry, dict) or "id" not in entry:
            raise ConfigError(f"model manifest {path} has no [{role}] with an id")
        specs[role] = ModelSpec(
            role=role,
            name=str(entry["id"]),
            revision=str(entry.get("revision", "main")),
            licence=str(entry.get("licence", "")),
        )
    return specs


def pin_revision(role: str, commit: str, path: Path | None = None) -> Path:
    """Write a resolved commit back into the manifest as the pinned revision of `role`."""
    path = path or manifest_path()
    try:
        text = read_small_text(path)
    except (OSError, InputError) as error:
        raise ConfigError(
            f"cannot read the model manifest {path}: {getattr(error, 'reason', error)}"
        ) from None
    section = re.search(rf"(?ms)^\[{role}\]\n.*?(?=^\[|\Z)", text)
    if section is None or not re.search(r'(?m)^revision = ".*"$', section.group(0)):
        raise ConfigError(f"model manifest {path} has no revision line under [{role}]")
    new_section = re.sub(r'(?m)^revision = ".*"$', f'revision = "{commit}"', section.group(0), count=1)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(text[: section.start()] + new_section + text[section.end() :], encoding="utf-8")
    os.replace(tmp, path)
    return path


def hf_cache_dir() -> Path:
    """The Hugging Face hub cache, read from the environment at call time (tests point it elsewhere)."""
    if cache := os.environ.get("HF_HUB_CACHE"):
        return Path(cache)
    if home := os.environ.get("HF_HOME"):
        return Path(home) / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "huggingface" / "hub"


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def is_local_name(name: str) -> bool:
    """A name is a folder if it exists or is written like a path; otherwise a hub id (org/name)."""
    return Path(name).expanduser().exists() or name.startswith((".", "/", "~")) or "\\" in name


def resolve_model(
    spec: ModelSpec, option: str, *, download: bool = True, refresh: bool = False
) -> ResolvedModel:
    """Find a model's folder without loading it: local folder, Hugging Face cache, or download.

    `option` names the command-line option that overrides this model, for the error message.
    `refresh` skips the cache and asks the hub which commit the revision points at now.
    """
    if is_local_name(spec.name):
        folder = Path(spec.name).expanduser()
        if not (folder / "config.json").is_file():
            raise ModelLoadError(f"{spec.name}: not a model folder (no config.json)")
        return ResolvedModel(spec.name, folder, "local-" + folder_fingerprint(folder), LOCAL_FOLDER)

    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    cache_dir = hf_cache_dir()
    try:
        if not refresh:
            try:
                folder = Path(
                    snapshot_download(
                        spec.name, revision=spec.revision, cache_dir=cache_dir, local_files_only=True
                    )
                )
                return ResolvedModel(spec.name, folder, folder.name, "hugging face cache")
            except LocalEntryNotFoundError:
                if offline() or not download:
                    raise ModelUnavailableError(
                        spec.name, option, "HF_HUB_OFFLINE is set" if offline() else ""
                    ) from None
        if offline():
            raise ModelUnavailableError(spec.name, option, "HF_HUB_OFFLINE is set")
        folder = _download(spec, cache_dir)
        return ResolvedModel(spec.name, folder, folder.name, "hugging face cache")
    except HFValidationError as error:
        raise ConfigError(f"{option} {spec.name!r}: neither a folder nor a valid hub id ({error})") from None
    except ModelUnavailableError:
        raise
    except Exception as error:  # network, HTTP and disk errors of huggingface_hub all end here
        raise ModelUnavailableError(spec.name, option, error_line(error)) from None


def resolve_models(specs: list[ModelSpec]) -> list[ResolvedModel]:
    """Every model of a run, resolved and checked for its role; raises naming every missing model
    at once (not the first alone: the user would fix one, run again and learn of the next)."""
    resolved: list[ResolvedModel] = []
    problems: list[SummariseError] = []
    for spec in specs:
        try:
            model = resolve_model(spec, f"--{spec.role}")
            check_role(model, spec.role)
            resolved.append(model)
        except SummariseError as error:
            problems.append(error)
    missing = [p for p in problems if isinstance(p, ModelUnavailableError)]
    if len(problems) == 1:
        raise problems[0]
    if problems and len(missing) == len(problems):
        raise ModelUnavailableError.of_all(missing)
    if problems:
        raise ConfigError("; ".join(str(p) for p in problems))
    return resolved


# What each role's code runs: the translator's tokenizer and decoding are MarianMT's, the
# summariser's window, chunking and generation settings are BART's. Read from config.json, so a
# model of the wrong kind is refused before its weights are loaded.
_ROLE_MODEL_TYPES = {
    "translator": ("marian", "a translation model", "Helsinki-NLP/opus-mt-de-en"),
    "summariser": ("bart", "a summarisation model", "sshleifer/distilbart-cnn-12-6"),
}


def check_role(model: ResolvedModel, role: str) -> None:
    """ConfigError when the model's config says it is not the kind of model `role` runs."""
    if role not in _ROLE_MODEL_TYPES:
        return
    wanted, noun, example = _ROLE_MODEL_TYPES[role]
    config = read_model_json(model, "config.json")
    kind = config.get("model_type")
    if kind == wanted:
        return
    architectures = config.get("architectures")
    named = ", ".join(map(str, architectures)) if isinstance(architectures, list) and architectures else ""
    found = (
        f"a {kind} model{f' ({named})' if named else ''}" if kind else "a model whose config names no type"
    )
    raise ConfigError(
        f"--{role} {model.name}: {found}, not {noun}; summarise runs {wanted} models here, such as {example}"
    )


def _download(spec: ModelSpec, cache_dir: Path) -> Path:
    from huggingface_hub import HfApi, snapshot_download

    info = HfApi().model_info(spec.name, revision=spec.revision)
    files = [s.rfilename for s in info.siblings or []]
    safetensors = [f for f in files if f.endswith(".safetensors") or f == "model.safetensors.index.json"]
    pickles = [f for f in files if re.fullmatch(r"pytorch_model.*\.bin(\.index\.json)?", f)]
    weights = safetensors or pickles
    if not weights:
        raise ModelLoadError(f"{spec.name}: the hub repository has no PyTorch weights")
    wanted = [f for f in files if "/" not in f and _SMALL_FILES.match(f)] + weights
    log.info("downloading %s (%s): %s", spec.name, spec.revision, ", ".join(wanted))
    return Path(
        snapshot_download(spec.name, revision=spec.revision, cache_dir=cache_dir, allow_patterns=wanted)
    )


def folder_fingerprint(folder: Path) -> str:
    """A cheap identity for a local model folder: small files by content, large ones by size and mtime."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(str(path.relative_to(folder)).encode())
        if stat.st_size < 1 << 20:
            digest.update(path.read_bytes())
        else:
            digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


# A model's config files are kilobytes (a tokenizer.json a few MB).
_MODEL_JSON_MAX_BYTES = 64 * 2**20


def read_model_json(model: ResolvedModel, name: str) -> dict[str, Any]:
    path = model.path / name
    if not os.path.lexists(path):
        return {}
    try:
        data = json.loads(read_bytes(path, _MODEL_JSON_MAX_BYTES, "file")[0])
    except InputError as error:
        raise ModelLoadError(f"{model.name}: cannot read {name}: {error.reason}") from None
    except (ValueError, RecursionError) as error:
        raise ModelLoadError(f"{model.name}: cannot read {name}: {error or 'nested too deeply'}") from None
    return data if isinstance(data, dict) else {}


def model_max_positions(model: ResolvedModel) -> int:
    """The longest input the model takes, from config.json and tokenizer_config.json."""
    limits = [
        read_model_json(model, "config.json").get("max_position_embeddings"),
        read_model_json(model, "tokenizer_config.json").get("model_max_length"),
    ]
    usable = [int(x) for x in limits if isinstance(x, int | float) and 0 < x < 1_000_000]
    if not usable:
        raise ModelLoadError(f"{model.name}: config.json gives no max_position_embeddings")
    return min(usable)


def generation_defaults(model: ResolvedModel) -> dict[str, Any]:
    """The model's published generation settings (generation_config.json, else config.json)."""
    return read_model_json(model, "generation_config.json") or read_model_json(model, "config.json")


# ----------------------------------------------------------------------------- loading (torch)


def load_seq2seq(
    model: ResolvedModel, device: str, dtype: str = "float32"
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a seq2seq model and its tokenizer from a resolved folder; never runs remote code."""
    import torch
    from transformers import AutoModelForSeq2SeqLM

    has_safetensors = any(model.path.glob("*.safetensors"))
    kwargs: dict[str, Any] = {"trust_remote_code": False, "dtype": getattr(torch, dtype)}
    if has_safetensors:
        kwargs["use_safetensors"] = True
    tokenizer = load_tokenizer(model)
    try:
        network = AutoModelForSeq2SeqLM.from_pretrained(model.path, **kwargs)
    except Exception as error:  # damaged files raise whatever their parser raises
        raise ModelLoadError(
            f"cannot load {model.name} from {model.path} (weights: {weight_files(model)}): "
            f"{error_line(error)}"
        ) from None
    network.eval()
    network.to(device)
    return network, tokenizer


# Tokenizer classes by model type, for configs whose tokenizer_config.json does not name one
# (the published opus-mt and distilbart ones do not). transformers' own table lives in a module
# that imports torch.
_TOKENIZER_BY_MODEL_TYPE = {"marian": "MarianTokenizer", "bart": "BartTokenizer"}


def token_ids(tokenizer: Any, texts: list[str]) -> list[list[int]]:
    """Each text's token ids as the model sees them (end-of-sequence included)."""
    return [list(ids) for ids in tokenizer(texts, add_special_tokens=True)["input_ids"]]


def count_tokens(tokenizer: Any, text: str) -> int:
    """Tokens the model sees for `text`, end-of-sequence included."""
    return len(tokenizer(text, add_special_tokens=True)["input_ids"])


def load_tokenizer(model: ResolvedModel) -> PreTrainedTokenizerBase:
    """The model's own tokenizer, without importing torch where its class is known.

    Importing transformers' AutoTokenizer imports torch (its config module does), which costs
    seconds and hundreds of MB on a machine whose torch is a CUDA build, for an engine
    (CTranslate2) that never uses it. The class named by the model's files is imported directly;
    anything else goes through AutoTokenizer.
    """
    import transformers

    name = read_model_json(model, "tokenizer_config.json").get("tokenizer_class")
    if not isinstance(name, str):
        name = _TOKENIZER_BY_MODEL_TYPE.get(str(read_model_json(model, "config.json").get("model_type")))
    try:
        if isinstance(name, str) and hasattr(transformers, name):
            tokenizer_class = getattr(transformers, name)
        else:
            from transformers import AutoTokenizer

            tokenizer_class = AutoTokenizer
        tokenizer: PreTrainedTokenizerBase = tokenizer_class.from_pretrained(
            model.path, trust_remote_code=False
        )
    except Exception as error:  # a damaged vocabulary raises whatever its parser raises
        files = ", ".join(sorted(p.name for p in model.path.glob("*") if _TOKENIZER_FILES.fullmatch(p.name)))
        raise ModelLoadError(
            f"cannot load the tokenizer of {model.name} from {model.path} ({files or 'no tokenizer files'}): "
            f"{error_line(error)}"
        ) from None
    return tokenizer


def weight_files(model: ResolvedModel) -> str:
    """The names of a model's weight files, for a message."""
    return (
        ", ".join(sorted(p.name for p in model.path.glob("*") if _WEIGHTS.fullmatch(p.name))) or "none found"
    )


_WEIGHTS = re.compile(r".*\.safetensors|pytorch_model.*\.bin|model\.safetensors\.index\.json")
_TOKENIZER_FILES = re.compile(r".*\.spm|vocab\.json|merges\.txt|tokenizer(_config)?\.json|.*\.model")
