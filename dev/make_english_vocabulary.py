"""Writes Loupe's English word list for steerability: the 5,000 most frequent
English words that work as concept labels, from the `wordfreq` package.

Joseph et al.'s steerability scores a steered image against a vocabulary of
plain English words (CLIP-Dissect's word list), not CLIP's BPE tokens; this is
a list of that kind, made from a maintained, pinned word-frequency source so
that anyone can remake it byte for byte:

    python3 -m venv dev/.venv-words
    dev/.venv-words/bin/pip install -r dev/requirements-words.txt
    dev/.venv-words/bin/python dev/make_english_vocabulary.py          # write
    dev/.venv-words/bin/python dev/make_english_vocabulary.py --check  # compare

It writes Sources/LoupeCLIP/Resources/english-words-5000.txt (one word a line,
no header, commonest first) and english-words-5000.md beside it (source,
command, filter, licence). wordfreq's code is Apache-2.0; its word-frequency
data, and so this list, is CC BY-SA 4.0.
"""
import argparse
import datetime
import importlib.metadata
import os
import re
import sys

import wordfreq

WORDFREQ_VERSION = "3.1.1"  # the list depends on the data: keep in step with dev/requirements-words.txt
COUNT = 5000
CANDIDATES = 30000  # wordfreq's top 30,000 English tokens hold far more than 5,000 that pass
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "Sources", "LoupeCLIP", "Resources")
TXT = os.path.join(OUT_DIR, "english-words-5000.txt")
MD = os.path.join(OUT_DIR, "english-words-5000.md")

# Lowercase ASCII letters only, three or more of them. Single letters ("a",
# "i", "s") and two-letter words ("of", "to", "in", "is", "mr") are function
# words, abbreviations or stray letters, not concepts anyone would label a
# feature with; tokens with digits, apostrophes or accents ("it's", "2",
# "café") are dropped so every entry is one plain word.
WORD = re.compile(r"[a-z]{3,}")

# Explicit exclusions, by kind. wordfreq lowercases everything, so it cannot
# tell "john" from "bill"; these lists were made by reading the candidates
# down to about rank 6,200, past where the 5,000th kept word falls. Words that
# also have an everyday lowercase sense stay (bill, mark, jack, frank, rose,
# china, turkey, jersey, apple, windows, twitter, trump, bush, ford), and so do
# capitalised words that describe a kind of thing rather than name one thing:
# nationalities, languages, religions and festivals (english, japanese,
# muslim, christmas), which work as labels ("a japanese garden").

# Names of particular people (first names, surnames, public figures).
PEOPLE = """
aaron adam adams albert alex alexander alan ali alice allen amy anderson andrew andy ann anna anne anthony
antonio arthur ashley bailey barbara barry benjamin ben billy blake bobby brad brian bruce campbell cameron
carl carlos carter catherine charles charlie chris christ christopher clark clinton cole colin collins cooper
craig cruz dan daniel danny dave david davis dennis donald douglas eddie edward elizabeth emily emma eric
evans francis franklin fred gary george gordon graham greg hamilton harris harrison harry harvey helen henry
hillary hitler howard hughes ian jackson jacob jake james jamie jane jason jean jeff jennifer jeremy jerry
jessica jesus jim jimmy joe john johnny johnson jon jonathan jones jose joseph josh juan julia julie justin
karen kate keith kelly ken kennedy kevin khan kim kyle larry laura lawrence lee leo lewis lincoln lisa louis
lucas lucy luke marcus margaret maria marie mario marshall martin mary matt matthew michael michelle mike
mitchell moore morgan morris murphy murray nancy nathan neil nelson norman obama oliver oscar parker patrick
paul perry pete peter phil philip putin rachel ralph richard rick robert roberts robinson rogers roger ron
ross roy russell ryan sam samuel santa sarah scott sean shaw simon smith spencer stanley stephen steve
steven stewart stuart susan taylor ted terry thomas thompson tim todd tom tommy tony turner tyler vincent
walter warner watson wayne william williams wilson wright
""".split()

# Particular places: countries, regions, states, cities, rivers, planets.
PLACES = """
afghanistan africa alabama alaska america angeles arabia argentina arizona asia atlanta atlantic austin
australia austria baltimore barcelona beijing belgium berlin birmingham boston brazil britain brooklyn
california cambridge canada caribbean carolina charlotte chelsea chicago chile cleveland colorado columbia
connecticut costa cuba dakota dallas delhi denver detroit diego dubai dublin edinburgh egypt england europe
florida france francisco georgia germany glasgow greece hawaii holland hollywood hong houston illinois india
indiana indonesia iowa iran iraq ireland israel italy japan jerusalem jordan kansas kent kentucky kenya korea
kong liverpool london louisiana madison madrid maine malaysia manchester manhattan mars maryland
massachusetts melbourne mexico miami michigan minnesota mississippi missouri montreal moscow netherlands
newcastle nigeria norway ohio oklahoma ontario oregon orleans oxford pakistan paris pennsylvania
philadelphia philippines pittsburgh poland portland portugal queensland richmond rio rome russia saudi
scotland seattle singapore spain sri sweden switzerland sydney syria tennessee texas thailand tokyo toronto
ukraine usa utah vancouver vegas victoria vietnam virginia wales washington wisconsin york zealand
""".split()

# Companies, brands, products, media, agencies, teams, events, characters.
ORGANISATIONS = """
abc amazon batman bbc cbs cia cnn disney facebook fbi fifa gop google harvard instagram ios ipad iphone isis
microsoft nasa nazi nba netflix nfl nintendo olympics samsung sony xbox youtube
""".split()

# Months and weekdays (march, may and august stay: they are ordinary words too).
DATES = """
january february april june july september october november december
monday tuesday wednesday thursday friday saturday sunday
jan feb mar aug sept oct nov dec
""".split()

# Abbreviations, name particles and prefixes that are not words on their own.
FRAGMENTS = """
aka com corp der des del est etc gen http https iii inc las les los ltd mac min mps mrs prof rev san sec vol
von anti inter micro mid multi non pre semi trans ultra
""".split()

# Chat spellings and contractions written without their apostrophe.
CHAT = """
btw cant didnt dont gonna gotta haha hmm huh idk kinda lmao lol nah outta tbh thats tho ugh wanna wont wtf
yea yep
""".split()

# Words used mainly as profanity or as a sexual vulgarity.
VULGAR = """
ass asshole bitch bullshit cock dick fuck fucked fuckin fucking piss pissed pussy shit
""".split()

EXCLUDED = {kind: set(words) for kind, words in [
    ("people", PEOPLE), ("places", PLACES), ("organisations", ORGANISATIONS), ("dates", DATES),
    ("fragments", FRAGMENTS), ("chat", CHAT), ("vulgar", VULGAR)]}


def english_words():
    """The list and, for the record, how many candidates each rule removed."""
    excluded = set().union(*EXCLUDED.values())
    words, seen, dropped = [], set(), {"pattern": 0, **{k: 0 for k in EXCLUDED}}
    for w in wordfreq.top_n_list("en", CANDIDATES, wordlist="best"):
        if not WORD.fullmatch(w):
            dropped["pattern"] += 1
            continue
        if w in excluded:
            dropped[next(k for k, v in EXCLUDED.items() if w in v)] += 1
            continue
        if w in seen:
            continue
        seen.add(w)
        words.append(w)
        if len(words) == COUNT:
            return words, dropped
    sys.exit(f"only {len(words)} words passed the filter; raise CANDIDATES")


def card(dropped):
    excluded = ", ".join(f"{k} {dropped[k]}" for k in EXCLUDED)
    return f"""# english-words-5000.txt

The 5,000 most frequent English words of three or more letters, commonest
first, one word a line with no header: Loupe's `vocabulary(.english)`, the
kind of word list Joseph et al. score steerability against (theirs is
CLIP-Dissect's English word-frequency list; this one is a list of the
same kind, made reproducibly from a maintained, pinned source).

- Source: the Python package `wordfreq` {WORDFREQ_VERSION} (Robyn Speer,
  <https://github.com/rspeer/wordfreq>), `wordfreq.top_n_list("en", {CANDIDATES}, wordlist="best")`,
  which ranks English words by their frequency across seven kinds of text:
  Wikipedia, subtitles, news, books, web text, Twitter and Reddit.
- Made by (from the repository root):

      python3 -m venv dev/.venv-words
      dev/.venv-words/bin/pip install -r dev/requirements-words.txt
      dev/.venv-words/bin/python dev/make_english_vocabulary.py

  `--check` remakes it in memory and fails if the shipped file differs.
- Filter, in wordfreq's frequency order: keep tokens of lowercase ASCII letters
  only, at least three of them (single letters and two-letter function words
  are not concepts; tokens with digits, apostrophes or accents go); drop
  duplicates; drop the explicit exclusions in the script: names of particular
  people, places, organisations and brands, months and weekdays,
  abbreviations and bare prefixes, chat spellings, and profanity. Words with
  an everyday lowercase sense stay (bill, rose, china, turkey, apple), and so
  do nationalities, languages, religions and festivals (english, japanese,
  christmas). Removed among the candidates read: pattern {dropped["pattern"]},
  {excluded}.
- Made on {datetime.date.today().isoformat()}.

## Licence and attribution

This list is derived from wordfreq's data and is licensed under the Creative
Commons Attribution-ShareAlike 4.0 licence
(<https://creativecommons.org/licenses/by-sa/4.0/>), as wordfreq's data is;
wordfreq's code is Apache-2.0. wordfreq asks that uses credit it and its
sources:

- Robyn Speer. (2022). rspeer/wordfreq: v3.0 (v3.0.2). Zenodo.
  <https://doi.org/10.5281/zenodo.7199437>
- wordfreq contains data extracted from Google Books Ngrams
  (<http://books.google.com/ngrams>) and Google Books Syntactic Ngrams; from
  the Leeds Internet Corpus (University of Leeds Centre for Translation
  Studies), Wikipedia (<http://www.wikipedia.org>) and ParaCrawl
  (<https://paracrawl.eu>); from OPUS OpenSubtitles 2018, whose data
  originates from the OpenSubtitles project (<http://www.opensubtitles.org/>);
  and from the SUBTLEX word lists (SUBTLEX-US, SUBTLEX-UK and others) created
  by Marc Brysbaert et al., which are freely available data
  (<http://crr.ugent.be/programs-data/subtitle-frequencies>).
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the shipped list differs from a fresh one")
    args = parser.parse_args()
    installed = importlib.metadata.version("wordfreq")
    if installed != WORDFREQ_VERSION:
        sys.exit(f"wordfreq {installed} is installed; this list is made with {WORDFREQ_VERSION} "
                 "(dev/.venv-words/bin/pip install -r dev/requirements-words.txt)")
    words, dropped = english_words()
    assert len(words) == len(set(words)) == COUNT
    text = "\n".join(words) + "\n"
    if args.check:
        with open(TXT, encoding="utf-8") as f:
            if f.read() != text:
                sys.exit(f"{TXT} differs from what wordfreq {WORDFREQ_VERSION} and this script make")
        print(f"{TXT}: matches")
        return
    with open(TXT, "w", encoding="utf-8") as f:
        f.write(text)
    with open(MD, "w", encoding="utf-8") as f:
        f.write(card(dropped))
    print(f"wrote {TXT} ({len(words)} words, last: {words[-1]}) and {MD}; removed: {dropped}")


if __name__ == "__main__":
    main()
