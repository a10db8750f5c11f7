from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import COMMIT, put_in_hf_cache

from summarise.errors import ConfigError, ModelUnavailableError
from summarise.models import (
    ModelSpec,
    load_manifest,
    load_seq2seq,
    manifest_path,
    model_max_positions,
    pin_revision,
    resolve_model,
)

GERMAN = "Der russische Präsident Wladimir Putin hat den nordkoreanischen Soldaten gedankt."


def test_the_manifest_names_both_default_models_with_licences() -> None:
    manifest = load_manifest()
    assert manifest["translator"].name == "Helsinki-NLP/opus-mt-de-en"
    assert manifest["summariser"].name == "sshleifer/distilbart-cnn-12-6"
    assert all(spec.licence and spec.revision for spec in manifest.values())


def test_pinning_writes_the_commit_into_the_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.toml"
    shutil.copy(manifest_path(), manifest)
    pin_revision("summariser", COMMIT, manifest)
    specs = load_manifest(manifest)
    assert specs["summariser"].revision == COMMIT
    assert specs["translator"].revision == "main"


def test_a_local_folder_resolves_to_itself_with_a_content_fingerprint(
    tiny_marian: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "marian"
    shutil.copytree(tiny_marian, copy)
    first = resolve_model(ModelSpec("translator", str(copy)), "--translator")
    assert first.path == copy and first.source == "local folder"
    assert first.revision == resolve_model(ModelSpec("translator", str(copy)), "--translator").revision
    (copy / "generation_config.json").write_text('{"num_beams": 2}')
    assert resolve_model(ModelSpec("translator", str(copy)), "--translator").revision != first.revision


def test_a_hub_id_resolves_offline_from_the_hf_cache_with_its_commit(tiny_marian: Path) -> None:
    snapshot = put_in_hf_cache(tiny_marian, "Helsinki-NLP/opus-mt-de-en")
    resolved = resolve_model(ModelSpec("translator", "Helsinki-NLP/opus-mt-de-en"), "--translator")
    assert resolved.path == snapshot
    assert resolved.revision == COMMIT
    model, tokenizer = load_seq2seq(resolved, "cpu")
    assert type(model).__name__ == "MarianMTModel"
    assert tokenizer.decode(tokenizer(GERMAN)["input_ids"], skip_special_tokens=True) == GERMAN


def test_a_pinned_revision_that_is_not_cached_is_unavailable(tiny_marian: Path) -> None:
    put_in_hf_cache(tiny_marian, "Helsinki-NLP/opus-mt-de-en")
    other = "f" * 40
    with pytest.raises(ModelUnavailableError):
        resolve_model(ModelSpec("translator", "Helsinki-NLP/opus-mt-de-en", other), "--translator")


def test_a_missing_model_offline_names_the_model_and_the_way_out() -> None:
    with pytest.raises(ModelUnavailableError) as caught:
        resolve_model(ModelSpec("translator", "Helsinki-NLP/opus-mt-de-en"), "--translator")
    message = str(caught.value)
    assert "Helsinki-NLP/opus-mt-de-en" in message and "--translator PATH" in message
    assert "\n" not in message


def test_a_missing_local_folder_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="not a model folder"):
        resolve_model(ModelSpec("translator", str(tmp_path / "nothing")), "--translator")


def test_an_invalid_hub_id_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        resolve_model(ModelSpec("translator", "not a valid id!!"), "--translator")


def test_fixture_tokenizers_round_trip_german(tiny_marian: Path, tiny_bart: Path) -> None:
    for folder, tokenizer_class, model_class in [
        (tiny_marian, "MarianTokenizer", "MarianMTModel"),
        (tiny_bart, "RobertaTokenizer", "BartForConditionalGeneration"),
    ]:
        resolved = resolve_model(ModelSpec("x", str(folder)), "--x")
        model, tokenizer = load_seq2seq(resolved, "cpu")
        assert type(tokenizer).__name__ == tokenizer_class
        assert type(model).__name__ == model_class
        ids = tokenizer(GERMAN)["input_ids"]
        assert len(ids) > 10  # a real vocabulary, not the 5-token trap of the 4.x keywords
        assert tokenizer.decode(ids, skip_special_tokens=True) == GERMAN


def test_model_limits_come_from_the_config(tiny_marian: Path, tiny_bart: Path) -> None:
    assert model_max_positions(resolve_model(ModelSpec("t", str(tiny_marian)), "--t")) == 512
    assert model_max_positions(resolve_model(ModelSpec("s", str(tiny_bart)), "--s")) == 1024


def test_pinning_goes_to_the_users_config_file_never_to_the_shipped_manifest(tmp_path: Path) -> None:
    from support import runner

    from summarise import config
    from summarise.cli import app

    shipped = manifest_path().read_bytes()
    path = tmp_path / "config.toml"  # where the autouse fixture points SUMMARISE_CONFIG
    path.write_text('# my settings\nbeams = 2\ntranslator_revision = "main"\n', encoding="utf-8")
    assert config.pin_revision("translator", COMMIT) == path
    assert config.pin_revision("summariser", COMMIT) == path
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# my settings\nbeams = 2\n")  # the rest of the file as it was
    assert config.load_config(path).values == {
        "beams": 2,
        "translator_revision": COMMIT,
        "summariser_revision": COMMIT,
    }
    assert manifest_path().read_bytes() == shipped
    shown = runner.invoke(app, ["config"]).stdout
    assert f"translator_revision = {COMMIT}  [config file" in shown
    # A config file with a mistake is named, not rewritten.
    path.write_text("beams = 'four'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="beams"):
        config.pin_revision("translator", COMMIT)
    assert path.read_text(encoding="utf-8") == "beams = 'four'\n"
