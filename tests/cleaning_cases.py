"""What the clean stage must remove and must keep.

SEEDS: for each seed article, the lines (by their start) that are web boilerplate. Every other line
of the article is article text and must be kept. Scored by tests/test_clean.py and
scripts/cleaning_scores.py (precision and recall).

MORE_JUNK / MORE_TEXT: lines written for these tests, not taken from the seeds, so that the rules
are not only fitted to five articles: boilerplate in other wordings and in English, and article
sentences that start the way boilerplate does.
"""

from __future__ import annotations

SEEDS: dict[str, list[str]] = {
    "000_8f56b1ec0a0c6f7f.txt": [
        "Der Artikel wird von einem Drittanbieter bereitgestellt.",
        "Branchen: Top-Story, Tagesnachrichten",
        "SeaPRwire liefert Echtzeit-Pressemitteilungsverteilung",
    ],
    "001_feed063c7223cddc.txt": [
        "Registrieren Sie sich jetzt, um kostenlosen und unbegrenzten Zugriff",  # three times
        "Berichterstattung von Josh Smith.",
        "Unsere Kriterien: Thomson Reuters Trust-Prinzipien.",
        "„Bierfan. Engagierter Popkulturwissenschaftler.",
        "More Stories",
        "Journalisten im Fall von Volksverhetzung in Hongkong verurteilt",
        "Ein Hai enthauptet einen Teenager vor der Küste Jamaikas",
        "Das Welternährungsprogramm stoppt seine Bewegung in Gaza",
    ],
    "002_b61389a596d0d502.txt": [
        # A teaser for another article, set between two paragraphs: a link on the web page, but
        # in plain text it reads like a subheading. Kept: a known miss.
        "Nordkoreanischer Staatschef stellt dem russischen Minister",
        "[Anzeige_2]",
        "Quellenlink",
        "Kommentar (0)",
    ],
    "003_7118c5d12a141062.txt": [
        "Mehr zum Thema – Putin auf dem Weg zu seinen Waffenbrüdern",
    ],
    "004_58eb544191ba0126.txt": [
        "Lesen Sie auch",
        "- 'Wendet sich von ihm ab'",
        "- So etwas gab es noch nie",
        "- Ehemaliger Bürgermeister von Tscherkassy",
        "- Der Präsident verlieh einer Reihe von Militärs",
        "- Italien wird die Verteidigungsausgaben",
        "- Die Niederlande werden zusätzliche Mittel",
    ],
}

MORE_JUNK = [
    "Jetzt kostenlos registrieren und weiterlesen",
    "Abonnieren Sie unseren täglichen Newsletter",
    "Sign up now for unlimited access to example.com",
    "Subscribe to our newsletter",
    "Anzeige",
    "[Werbung]",
    "Advertisement",
    "Kommentare (12)",
    "Comments (3)",
    "Quelle: Link",
    "Teilen",
    "Folgen Sie uns auf Mastodon",
    "Lesen Sie mehr: Wie die Bahn pünktlicher werden will",
    "Das könnte Sie auch interessieren",
    "Read more",
    "Related articles",
    "Reporting by Anna Schmidt; Editing by Mark Potter",
    "Zusätzliche Berichterstattung von Tom Balmforth",
    "Our Standards: The Thomson Reuters Trust Principles.",
    "Wir verwenden Cookies, um Ihnen das beste Nutzererlebnis zu bieten.",
    "Kaffeeliebhaber. Bacon-Evangelist. Twitter-Fan. Introvertiert.",
    "Tags: Politik, Ausland, Russland",
    "Artikel anhören (04:12 min)",
    "Diesen Beitrag teilen",
    "Auf WhatsApp teilen",
    "Link kopieren",
    "Schriftgröße ändern",
    "Zum Inhalt springen",
    "Weiterlesen mit Z+",
    "Sie sind bereits Abonnent? Hier einloggen",
]

MORE_TEXT = [
    "Mehr zum Thema Energie sagte der Minister am Montag, dass die Preise sinken würden.",
    "Lesen Sie auch die Erklärung des Ministeriums, forderte die Opposition im Bundestag.",
    "Registrieren müssen sich alle Teilnehmer bis Freitag beim Wahlamt der Stadt.",
    "Die Werbung für das Volksbegehren kostete nach Angaben der Initiatoren 2 Millionen Euro.",
    "Kommentare in sozialen Netzwerken fielen nach der Rede überwiegend kritisch aus.",
    "Er kam. Er sah. Er siegte, schrieb der Kommentator über den Wahlsieger.",
    "Folgen sollen nach Angaben des Ministeriums im Herbst weitere Gespräche.",
    "Die Redaktion von Le Monde lehnte eine Stellungnahme ab.",
    "Unlimited access to the archive is one of the perks, the publisher said.",
    "Viele Nutzer wollen den Artikel teilen, sagte die Sprecherin des Verlags.",
    "Merken sollte man sich vor allem die neuen Öffnungszeiten der Ämter.",
    "Feedback aus der Bevölkerung hatte die Stadt ausdrücklich erbeten.",
]
