"""summarise: German news articles in, English briefs out.

For library users: `run(paths, options_for("brief", {"out": "briefs"}))` briefs (or, with
"translate", translates) files, folders and web addresses (str) with the config file and defaults
the command line would use (or with `Options(...)`, said in full), and returns a `RunReport`,
whose `articles` carry each written `Brief`; `Briefer.open(options)` does many runs with the
models loaded once (a watcher, a service); `Brief.from_json` reads a brief's JSON record back;
`split_sentences` is the German sentence splitter. Heavy dependencies (torch, transformers,
CTranslate2) are imported only when a model is loaded.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Brief",
    "Briefer",
    "Options",
    "RunReport",
    "__version__",
    "options_for",
    "run",
    "split_sentences",
]

if TYPE_CHECKING:
    from .brief import Brief
    from .config import options_for
    from .options import Options
    from .pipeline import Briefer, run
    from .report import RunReport
    from .segment import split_sentences

_LAZY = {
    "Brief": "brief",
    "Briefer": "pipeline",
    "Options": "options",
    "options_for": "config",
    "RunReport": "report",
    "run": "pipeline",
    "split_sentences": "segment",
}


def __getattr__(name: str) -> Any:
    # Lazy so that `import summarise` stays cheap for the CLI.
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(name)
