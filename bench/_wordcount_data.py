"""The word-count benchmark's input: lines of 10 words, Zipf-like over a 10,000-word vocabulary."""

from __future__ import annotations

import itertools
import random
import string

VOCABULARY = 10_000
WORDS_PER_LINE = 10
SEED = 20240


def make_lines(words: int, seed: int = SEED) -> list[str]:
    """Return ``words // 10`` lines; the same every time for the same arguments."""
    rng = random.Random(seed)
    vocab = sorted({"".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 10))) for _ in range(VOCABULARY * 2)})
    vocab = vocab[:VOCABULARY]
    rng.shuffle(vocab)
    cum = list(itertools.accumulate(1.0 / rank for rank in range(1, len(vocab) + 1)))
    flat = rng.choices(vocab, cum_weights=cum, k=(words // WORDS_PER_LINE) * WORDS_PER_LINE)
    return [" ".join(flat[i:i + WORDS_PER_LINE]) for i in range(0, len(flat), WORDS_PER_LINE)]
