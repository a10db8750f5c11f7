"""German sentence-boundary cases: each case is the list of sentences a splitter must return.

The input of a case is its sentences joined by one space. Shared by the segmenter's tests and by
`scripts/compare_sentence_splitters.py`, which scores candidate libraries on the same table.
"""

SENTENCE_CASES: list[list[str]] = [
    # abbreviations
    ["Es gibt viele Gründe, z. B. die hohen Kosten.", "Das sagte der Minister."],
    ["Das gilt z.B. für Berlin.", "Andere Städte folgen."],
    ["Dr. Müller sprach mit Prof. Schmidt über die Lage.", "Beide waren besorgt."],
    ["Die Firma hat ca. 500 Mitarbeiter.", "Sie wächst schnell."],
    ["Er kam u. a. mit dem Bus.", "Sie kam mit dem Zug."],
    ["Die Zahl stieg auf ca. 3,5 Millionen.", "Das ist ein Rekord."],
    ["Das Projekt kostete rund 3,5 Mio. Euro.", "Es wurde im Jahr 2020 beendet."],
    ["Die Sitzung fand in der Hauptstr. 5 statt.", "Alle waren da."],
    ["Er arbeitet bei der Deutschen Bahn AG bzw. deren Tochter.", "Sie ist größer."],
    ["Vgl. dazu den Bericht des Ministeriums.", "Dort steht mehr."],
    ["Die Regierung, d. h. der Kanzler und seine Minister, entschied schnell.", "Kritik folgte."],
    ["Laut Art. 5 des Grundgesetzes ist die Presse frei.", "Das ist wichtig."],
    ["Es geht um Nr. 7 der Liste.", "Sie ist lang."],
    ["Sie wohnt in St. Petersburg.", "Er wohnt in Moskau."],
    # ordinals and dates
    ["Die Agentur berichtete am 15. August über den Brief.", "Er war lang."],
    ["Die Wahl findet am 3. Oktober 2025 statt.", "Viele werden wählen."],
    ["Nach dem 80. Jahrestag trafen sich die Präsidenten.", "Sie sprachen lange."],
    ["Das Treffen war am 12.03.2024 in Berlin.", "Es dauerte zwei Stunden."],
    ["Im 19. Jahrhundert wuchs die Stadt stark.", "Heute ist sie groß."],
    ["Der Vertrag wurde im Juni 2024 unterzeichnet.", "Er trat im Dezember in Kraft."],
    ["Er wurde Zweiter, nach dem 1. FC Köln.", "Das war knapp."],
    # numbers
    ["Die Inflation lag bei 2,5 Prozent.", "Im Vorjahr waren es 3,1 Prozent."],
    ["Das Unternehmen verdiente 1.250.000 Euro.", "Das ist viel."],
    ["Um 14.30 Uhr begann die Sitzung.", "Sie endete spät."],
    # quotes
    ["„Wir werden siegen“, sagte er.", "Die Menge jubelte."],
    ["Er sagte: „Das ist gut.“", "Dann ging er."],
    ["»Das ist ein Fehler«, sagte die Ministerin.", "Sie trat zurück."],
    ["Sie rief: »Wir kommen wieder!«", "Niemand antwortete."],
    ["„Ist das wahr?“, fragte sie.", "Er nickte."],
    ["Putin sprach vom „gemeinsamen Kampf gegen den Neonazismus.“", "Kim stimmte zu."],
    ["Sie diskutierten 'perspektivische Projekte'.", "Das Treffen endete."],
    # other punctuation
    ["Kommt er heute?", "Niemand weiß es!", "Wir warten."],
    ["Die Lage ist ernst… wir müssen handeln.", "Das sagte er."],
    ["Die Seite www.example.de ist offline.", "Sie wird repariert."],
    ["Die Kosten stiegen (vgl. Tabelle 3).", "Das überraschte niemanden."],
]
