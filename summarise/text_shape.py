"""How a line ends, in one place: the clean stage, the reader's hard-wrap test, the line model and
the metadata lines all ask it the same way."""

from __future__ import annotations

import re

# Closing quotes and brackets that may follow the final punctuation: „Ja.“ (Nein!) »So?«
_CLOSERS = r"[\"'“”»«›‹)\]]*$"
# A sentence ends here: final punctuation ("Lesen Sie auch:" is not a sentence).
FULL_STOP = re.compile(rf"[.!?…]{_CLOSERS}")
# A line ends a sentence or a clause: final punctuation, or ":" and ";" (a list's heading).
LINE_END = re.compile(rf"[.!?…:;]{_CLOSERS}")
