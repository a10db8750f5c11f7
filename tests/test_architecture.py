"""The house's rules (docs/architecture.md) that the code keeps: what each module may import."""

from __future__ import annotations

import sys

from support import REPO

sys.path.insert(0, str(REPO / "scripts"))
from import_graph import graph

LEAVES = {"brief", "errors", "text_shape", "localmodels"}
STAGES = {"read", "clean", "language", "segment", "render"}
READERS = {"text_reader", "markdown_reader", "html_reader"}
LOADERS_AND_STORE = {"engines", "placement", "session", "cluster", "cache", "pipeline"}


def test_the_data_modules_and_leaves_import_nothing_of_the_package() -> None:
    imports = graph()
    assert {name: imports[name] for name in LEAVES} == {name: set() for name in LEAVES}
    # The clean stage's helpers ask only how a line ends.
    assert imports["line_model"] == imports["article_metadata"] == {"text_shape"}


def test_only_the_front_imports_the_cli_and_the_orchestrator() -> None:
    imports = graph()
    assert {name for name, used in imports.items() if "cli" in used} == set()
    assert {name for name, used in imports.items() if "pipeline" in used} == {
        "cli",
        "bench",
        "__init__",
        "watch",
    }


def test_the_stages_load_no_model_and_touch_no_store() -> None:
    imports = graph()
    assert {name: imports[name] & LOADERS_AND_STORE for name in STAGES} == {name: set() for name in STAGES}
    assert imports["render"] <= {"brief", "files"}  # files: the fingerprint of the renderer


def test_the_cli_goes_through_the_library() -> None:
    """The command line parses and prints: the store, the models and their loaders are reached
    through the library (pipeline, manage, config), never directly."""
    assert graph()["cli"] <= {
        "config",
        "errors",
        "options",
        "manage",
        "pipeline",
        "report",
        "terminal",
        "watch",
    }


def test_options_are_declared_below_everything_that_uses_them() -> None:
    imports = graph()
    assert imports["options"] <= {"errors", "models"}
    assert {name for name, used in imports.items() if "config" in used} <= {"cli", "manage", "__init__"}


def test_a_reader_is_a_format_over_the_shared_decoding() -> None:
    """The readers (registered by suffix in read.READERS) read bytes into paragraphs: they know
    nothing of discovery, outputs, models or the store."""
    imports = graph()
    for reader in READERS:
        assert imports[reader] <= {"source_text", "brief", "errors", "text_shape", "text_reader"}, reader
    assert imports["source_text"] <= {"brief", "errors"}
    # Finding files is apart from reading them: reading never walks folders.
    assert "discover" not in imports["read"] and "read" in imports["discover"]


def test_no_two_modules_import_each_other() -> None:
    imports = graph()
    cycles = {
        tuple(sorted((a, b))) for a, used in imports.items() for b in used if a in imports.get(b, set())
    }
    assert cycles == set()


def test_the_store_and_the_output_folder_know_no_stage_and_no_model() -> None:
    imports = graph()
    stages = STAGES | READERS | {"translate", "guard", "summary"}
    assert not imports["cache"] & {"engines", "placement", "models", *stages}
    assert not imports["outputs"] & (stages - {"render"})  # render: how a digest begins
    for stage in stages:
        assert not imports[stage] & {"pipeline", "cli", "session", "memory"}, stage
    cli = (REPO / "summarise" / "cli.py").read_text(encoding="utf-8")
    assert not any(part in cli for part in ("sqlite", '/ "ct2"', "DB_NAME", "converted_models /"))


def test_the_terminal_knows_nothing_of_the_library() -> None:
    """Progress bars, messages and signals: the CLI's alone, and about the terminal only."""
    imports = graph()
    assert imports["terminal"] == set()
    assert {name for name, used in imports.items() if "terminal" in used} == {"cli"}


def test_only_the_fetch_stage_opens_a_connection() -> None:
    """The HTTP client is imported by fetch.py alone (the hub client's downloads are models.py's,
    through huggingface_hub): a run without a web address never reaches it."""
    users = sorted(
        p.name for p in (REPO / "summarise").glob("*.py") if "httpx2" in p.read_text(encoding="utf-8")
    )
    assert users == ["fetch.py"]
