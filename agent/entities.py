"""Entity extraction for the offline planner: periods, group-by, amounts, counts, and names resolved
against the store (exact or folded; a near miss becomes an "unknown name" so the user is asked).

Everything is deterministic and table-driven; the tables are at the top of the module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
from rapidfuzz import fuzz

from agent.intents import COUNT_WORD_RE, COUNT_WORDS, vocabulary
from agent.typos import correct
from knowledge.errors import FinopsError
from knowledge.semantic.model import DIMENSIONS
from tools.names import NameTables, fold
from tools.periods import compared_period, find_period, parse_period
from tools.who_owns import SUPERLATIVE_WORDS

# -- tables ------------------------------------------------------------------------------------------
# Name kinds looked up in the question, in priority order when one span matches several kinds.
NAME_KINDS: tuple[str, ...] = ("app", "prompt", "project", "model", "team", "provider", "service", "region",
                               "account", "feature", "resource", "customer", "environment")
# Words people use for a name that the store spells differently (alias -> (kind, canonical)).
ALIASES: dict[str, tuple[str, str]] = {
    "azure": ("provider", "Microsoft"), "gcp": ("provider", "Google Cloud"), "google": ("provider", "Google Cloud"),
    "amazon": ("provider", "AWS"), "aws": ("provider", "AWS"), "openai": ("provider", "OpenAI"),
    "anthropic": ("provider", "Anthropic"), "claude": ("provider", "Anthropic"),
    "ec2": ("service", "Amazon Elastic Compute Cloud"), "s3": ("service", "Amazon Simple Storage Service"),
    "rds": ("service", "Amazon Relational Database Service"), "lambda": ("service", "AWS Lambda"),
    "sagemaker": ("service", "Amazon SageMaker"), "cloudwatch": ("service", "Amazon CloudWatch"),
    "gce": ("service", "Compute Engine"), "gke": ("service", "Kubernetes Engine"), "gcs": ("service", "Cloud Storage"),
    "bigquery": ("service", "BigQuery"), "vertex": ("service", "Vertex AI"), "vertex ai": ("service", "Vertex AI"),
    "cosmos": ("service", "Azure Cosmos DB"), "cosmos db": ("service", "Azure Cosmos DB"),
    "production": ("environment", "prod"), "development": ("environment", "dev"),
}
# Single English words that are also names: they count only next to a word that says what they are.
AMBIGUOUS = {"data", "support", "research", "search", "prod", "dev", "staging", "test", "storage", "compute",
             "default", "main", "web", "api", "other", "none", "unknown", "ai", "ml", "training", "inference"}
KIND_WORDS: dict[str, tuple[str, ...]] = {
    "team": ("team", "teams", "squad", "group"),
    "app": ("app", "apps", "application", "bot", "service"),
    "model": ("model", "models"),
    "project": ("project", "projects"),
    "environment": ("env", "environment", "environments"),
    "provider": ("provider", "cloud", "vendor"),
    "service": ("service", "services"),
    "region": ("region",),
    "account": ("account", "subaccount"),
    "prompt": ("prompt",),
    "resource": ("resource", "cluster", "endpoint", "bucket", "instance", "job"),
    "customer": ("customer",),
    "feature": ("feature",),
}
# Prepositions that make an ambiguous word a team name ("for research", "did search spend").
TEAM_LEADS = ("for", "of", "on", "by", "did", "does", "do", "is", "team", "from", "about", "and", "will", "would",
              "has", "was", "than")
# Words after an ambiguous word that make it a team ("search spend", "research's budget").
TEAM_TRAILS = ("spend", "spending", "spent", "cost", "costs", "budget", "budgets", "bill", "usage", "'s", "owns",
               "jobs", "runs")   # "support's gpu jobs so far this month"
# group-by words -> canonical dimension, generated from the semantic model (one-word names and synonyms),
# plus the groupings only the LLM-usage and prompt tools know (tools validate against their own choices).
_LLM_GROUP_WORDS = {"feature": "feature", "features": "feature", "prompt": "prompt", "prompts": "prompt",
                    "customer": "customer", "customers": "customer", "tier": "tier", "key": "key"}
GROUP_WORDS: dict[str, str] = {
    **{w: d.name for d in DIMENSIONS.values() for w in (d.name, *d.synonyms) if re.fullmatch(r"[a-z0-9]+", w)
       and w != (d.focus_column or "").lower()},
    **_LLM_GROUP_WORDS,
}
STOPWORDS = {
    "what", "whats", "which", "who", "whom", "whose", "where", "when", "why", "how", "much", "many", "the", "a",
    "an", "this", "that", "these", "those", "our", "we", "us", "is", "are", "was", "were", "be", "been", "do",
    "does", "did", "done", "for", "of", "on", "in", "by", "to", "from", "at", "and", "or", "but", "with", "per",
    "any", "all", "it", "its", "they", "them", "their", "there", "here", "me", "my", "you", "your", "cost",
    "costs", "costing", "spend", "spent", "spending", "money", "dollars", "month", "week", "year", "day", "last",
    "next", "since", "show", "tell", "give", "list", "top", "most", "least", "more", "less", "than",
    "over", "under", "about", "approve", "should", "would", "could", "will", "still", "worth", "running",
    "paying", "prediction", "predictions", "inference", "inferences", "training", "untagged", "tagged",
    "budget", "budgets", "closest", "anything", "unusual", "jump", "jumped", "first", "fix", "save", "saves",
    "saving", "savings", "charge", "charges", "cluster", "owns", "owner", "zombie", "idle", "gpus", "gpu", "jobs",
    "prompts", "system", "trimming", "trim", "frontier", "mini", "apps", "set", "max_tokens", "tokens",
    "looks", "like", "prod", "dev", "traffic", "scale", "scaled", "times", "spike", "break", "down", "breakdown",
    "team", "teams", "model", "models", "service", "services", "help", "please", "thanks", "total", "overall",
    "forecast", "expect", "expected", "end", "waste", "wasted", "anomaly", "anomalies", "cheaper", "instead",
    "tag", "tags", "caching", "cache", "cached", "calls", "call", "usage", "used", "using", "unit", "units",
    "customer", "customers", "feature", "features", "app", "application", "project", "projects", "resource",
    "resources", "provider", "providers", "region", "regions", "account", "accounts", "each", "every",
    "now", "then", "also", "same", "again", "only", "just", "other", "else", "else's", "thing", "things",
    "estimate", "run", "runs", "job", "launch", "starting", "start", "hours", "hour", "days", "weeks", "months",
    "daily", "weekly", "monthly", "quarter", "yesterday", "today", "ago", "between", "vs", "versus", "compared",
    "compare", "against", "change", "changed", "increase", "decrease", "grew", "growth", "went", "going", "up",
}
FAMILY_WORDS = {"class", "family", "series", "tier", "models", "line"}
FUZZY_KINDS = ("team", "app", "model", "project", "provider", "prompt", "region")
FUZZY_MIN = 84
# Words before a price-catalog model that make it the model to move TO ("from gpt-4o to gpt-4o-mini"): such a
# model need not appear in the store's own calls.
TARGET_LEADS = ("to", "into", "onto")
MOVE = re.compile(r"\b(?:mov|switch|migrat|downgrad|upgrad|chang|port|replac)\w*\b")   # a store model after "to"
# Name kinds whose spans are identifiers, not words: masked in `Entities.cue_text` so that a resource called
# "llm-serving-h100-a" does not read as a question about LLMs.
MASKED_KINDS = ("resource",)

_TOKEN = re.compile(r"[a-z0-9$][a-z0-9._\-/]*[a-z0-9%]|[a-z0-9]")
_AMOUNT = re.compile(
    r"(?<![\w.])(?:\$\s?(?P<a>\d[\d,]*(?:\.\d+)?)\s?(?P<am>k|m|thousand|million)?"
    r"|(?P<b>\d[\d,]*(?:\.\d+)?)\s?(?P<bm>k|m|thousand|million)(?![a-z0-9]))"
    r"(?:\s?(?:/|per|a|an)\s?(?P<unit>month|mo|day|hour|hr|week|year)\b|\s(?P<monthly>monthly)\b)?"
)
_MULTIPLIER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?(?:x|×|times)(?![a-z0-9])")
_COUNT = rf"\d{{1,2}}|{COUNT_WORD_RE}"         # a count in digits or words ("3", "three")
_TOP = re.compile(rf"\btop[\s-]?(\d{{3}}|{_COUNT})\b"   # "top 5", "top four",
                  # and "our 2 priciest resources", "the 3 biggest teams"
                  rf"|(?<![\d.,$])\b({_COUNT})\s+(?:most expensive|priciest|costliest|biggest|largest|highest)\b"
                  # "which three regions did we spend the most in"
                  rf"|\b(?:which|what)\s+({_COUNT})\s+(?=[a-z]+s\b)")
_GROUP = re.compile(r"\b(?:by|per|for each|for every|each|broken down by|split by|grouped by|across)\s+(?:the\s+)?([a-z_]+)")
_SUPERLATIVE = rf"(?:{SUPERLATIVE_WORDS})"
_WHICH = re.compile(rf"\blist\s+(?:(?:all|the|our|my|of)\s+)*(?:top[\s-]?(?:\d{{1,3}}|{_COUNT})\s+)?"   # "list our top 5 …"
                    rf"(?:{_SUPERLATIVE}\s+)?([a-z_]+)"                          # "list regions by cost"
                    rf"|\btop[\s-]?(?:\d{{1,3}}|{_COUNT})\s+{_SUPERLATIVE}\s+([a-z_]+)"   # "top 5 most expensive resources"
                    r"|\b(?:most expensive|most costly|biggest|largest|costliest|priciest|cheapest|least expensive|smallest|lowest"
                    rf"|top(?:[\s-]?(?:\d{{1,3}}|{_COUNT}))?)"                  # "top 5 compute resources"
                    r"\s+[a-z0-9-]+\s+"                                       # "priciest ec2 resource", "cheapest aws region"
                    r"(resources?|services?|endpoints?|models?|apps?|accounts?|regions?|projects?)\b"
                    r"|\b(?:which|what) of (?:our |the |all )?([a-z_]+)(?: ([a-z_]+))?"   # "which of our LLM apps"
                    rf"|\b(?:(?:which|what)(?:\s+(?:{_COUNT}))?|whose"
                    rf"|top(?:[\s-]?(?:\d{{3}}|{_COUNT}))?"
                    r"|most expensive|biggest|largest|costliest|priciest"
                    r"|cheapest|least expensive|smallest|lowest)\s+"                  # "cheapest provider last month"
                    r"(?:llm\s+|ai\s+|gpu\s+|single\s+|one\s+|individual\s+)?([a-z_]+)"
                    r"|\b([a-z]+)[- ]wise\b"                                        # "team-wise"
                    # "llm app with the fewest calls", "the model with the most tokens"
                    r"|\b([a-z_]+)\s+with\s+the\s+(?:most|fewest|least|highest|lowest|biggest|largest)\b"
                    r"|\b(?:rank|order|sort)\s+(?:our |the |all |my |of )*([a-z_]+)")   # "rank our providers"


@dataclass(frozen=True)
class NameHit:
    kind: str
    name: str        # canonical spelling in the store
    span: str        # as written


@dataclass
class Entities:
    question: str
    text: str                                    # lower-cased, normalised
    tokens: list[str]
    period: str | None = None
    period_unparsed: list[str] = field(default_factory=list)   # time words outside the period read: not understood
    period_compared: str | None = None           # "in October than in September": the period compared with
    period_baseline: str | None = None           # "up compared to August?": a baseline with no period asked about
    amounts: list[Decimal] = field(default_factory=list)
    amount_unit: str | None = None               # month | day | hour | week | year when stated
    multiplier: Decimal | None = None
    top: int | None = None
    top_span: tuple[int, int] | None = None   # where the count was read ("top 5", "which two")
    ascending: bool = False       # "who spent the least", "lowest-spending team": smallest first
    group_by: list[str] = field(default_factory=list)   # canonical dimensions, most explicit first
    names: list[NameHit] = field(default_factory=list)
    unknown: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (kind, as written, suggestions)
    known: dict[str, list[str]] = field(default_factory=dict)                 # every name of each kind in the store
    today: date | None = None                                                 # the store's reference date
    cue_text: str = ""                           # `text` with identifier-like names masked (intent scoring)
    fixes: dict[str, str] = field(default_factory=dict)                       # typo -> cue word it was read as
    catalog_models: list[str] = field(default_factory=list)   # price-catalog models named (what-if targets only)

    def first(self, kind: str) -> str | None:
        return next((h.name for h in self.names if h.kind == kind), None)

    def all(self, kind: str) -> list[str]:
        return [h.name for h in self.names if h.kind == kind]

    def has(self, pattern: str) -> bool:
        return re.search(pattern, self.text) is not None


_COMPARE = re.compile(r"\bcompar\w*\b|\bvs\.?|\bversus\b|\bagainst\b|\bthan\b|\brelative to\b")
_UNIT_WORD = {"d": "days", "w": "weeks", "m": "months"}
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def normalise(question: str) -> str:
    """Lower case, the visible text only (agent.grounding.normalize: NFKC, so full-width 'ｓｅａｒｃｈ' is
    'search', and no invisible format characters), terminal escapes and control characters removed, so a
    name is matched as what it reads as, or not at all."""
    from agent.grounding import normalize

    q = _CONTROL.sub("", normalize(_ANSI.sub("", question)))
    q = q.lower().replace("’", "'").replace("×", "x ").replace("–", "-").replace("—", " ")
    q = re.sub(r"\bsince the (?:1st|first)(?: of (?:the|this) month)?\b", "month to date", q)    # "since the 1st"
    q = re.sub(r"\b(what|it|that|we|they|this|who|how)'ll\b", r"\1 will", q)              # "what'll that cost"
    q = re.sub(r"\b(what|how|who|where|why)'d\b", r"\1 did", q)                            # "what'd it cost"
    q = re.sub(r"\bl(\d{1,3}) ?([dwm])\b", lambda m: f"last {m.group(1)} {_UNIT_WORD[m.group(2)]}", q)   # l30d
    q = re.sub(r"\bper-([a-z]+)", r"per \1", q)                          # "per-team costs"
    q = re.sub(r"\b([a-z]+)-by-\1\b", r"\1 by \1", q)                    # "day-by-day"
    q = re.sub(r"\b(?:company|org|organi[sz]ation|business)[- ]wide\b", "total", q)   # "company-wide spend"
    q = re.sub(r"\b(?:(?:for|across|in|of) )?(?:the |our )?(?:whole|entire) (?:company|org|organi[sz]ation|business)\b",
               "total", q)                                          # "run rate, whole org?", "across the entire company"
    q = re.sub(r"\b(?:lowest|least)[- ](?:spending|costing|cost)\b", "cheapest", q)     # "lowest-spending team"
    q = re.sub(r"\b(?:highest|most|biggest|top)[- ](?:spending|costing)\b|\bhighest[- ]cost\b", "most expensive", q)
    q = re.sub(r"\b(?:pricier|costlier|more expensive)\s+than\b", "spend more than", q)    # "was A pricier than B"
    q = re.sub(r"\bcheaper\s+than\b", "spend less than", q)
    q = re.sub(r"^\S.*?\s(?:no,? sorry|sorry,? i meant?|scratch that|i meant)\b\s*[,:-]?\s*", "", q)   # "usw2 - no sorry, us-west-2"
    q = re.sub(r"\bsvcs?\b", "service", q)                                 # "which svc"
    q = re.sub(r"(?<=[a-z0-9]) v\.? (?=[a-z0-9])", " vs ", q)                 # "openai v anthropic"
    q = re.sub(r"(?<=[a-z0-9]) (?:against|versus) (?!(?:the |our |its |their |a |this )?(?:budget|forecast|plan|target|"
               r"list|estimate)s?\b)(?=[a-z0-9])", " vs ", q)                  # "gpt-4.1 against gpt-4o" (not "vs budget")
    q = re.sub(r"\b(llm|ai|cost|money|spend|price)-wise\b,?", r"\1", q)     # "llm-wise, which model …"
    q = re.sub(r"\b(for|over|running) (?:a|one|an) (day|week|hour)\b", r"\1 1 \2", q)   # "8 H100 for a day"
    q = re.sub(r"(?<![\w=])>=?\s?(?=\$?\d)", "over ", q)                     # "teams >80% of budget"
    q = re.sub(r"(?<![\w=])<=?\s?(?=\$?\d)", "under ", q)
    q = re.sub(r"(\d),(\d{3})", r"\1\2", q)            # 1,000 -> 1000 (twice for millions)
    q = re.sub(r"(\d),(\d{3})", r"\1\2", q)
    return re.sub(r"\s+", " ", q).strip()


_VENDOR_PREFIX = re.compile(r"^(?:aws|amazon|azure|microsoft|google|google cloud|gcp|oracle|oci)\s+", re.I)
# Kinds with more names than this stay in the store's name index (knowledge.name_index) and are looked up in
# SQL per question (exact, prefix, a bounded fuzzy set); smaller kinds are read whole, once per store version.
BIG_KIND = 5000
_CACHE: dict[tuple[str, int, int], NameIndex] = {}
_CACHE_SIZE = 4
_SPAN_TOKEN = re.compile(r"[a-z0-9][a-z0-9._-]*[a-z0-9]")


class NameIndex:
    """Every known name of every kind in the store, folded for lookup. Kinds with many names (resources at
    scale) are not held here: `bind(con)` gives lookups in the store's name index for them."""

    def __init__(self, by_kind: dict[str, list[str]], catalog: list[str] | None = None,
                 big: tuple[str, ...] = (), tables: NameTables | None = None):
        self.by_kind = {k: sorted(set(v)) for k, v in by_kind.items()}
        self.big = big
        self.tables = tables
        self.folded: dict[str, dict[str, str]] = {}
        for kind in NAME_KINDS:
            index: dict[str, str] = {}
            for n in self.by_kind.get(kind, []):
                index.setdefault(fold(n), n)
            if kind == "service":     # "data transfer" for "AWS Data Transfer": the name without its vendor
                for n in self.by_kind.get(kind, []):
                    rest = _VENDOR_PREFIX.sub("", n)
                    if rest != n and len(fold(rest)) >= 4:
                        index.setdefault(fold(rest), n)
            self.folded[kind] = index
        # The price catalog's models (llm_prices): a model the question moves TO may be one the store never called.
        self.catalog: dict[str, str] = {}
        for n in sorted(set(catalog or [])):
            self.catalog.setdefault(n.lower(), n)
        # Every word that is a name of some kind: never "corrected" as a typo of a cue word.
        self.words: frozenset[str] = frozenset(f for idx in self.folded.values() for f in idx) | frozenset(
            w for names in self.by_kind.values() for n in names for w in re.findall(r"[a-z]+", n.lower()))
        self._big_hits: dict[str, list[tuple[str, str]]] = {}     # folded -> (kind, name) of big kinds
        # Letter runs of the resource names ("summit", "replica"): a described resource is looked for by them
        # (`_described_resource`); read once per store version, not per question.
        self.resource_words: frozenset[str] = frozenset(
            w for n in self.by_kind.get("resource", []) for w in re.findall(r"[a-z][a-z0-9]+", n.lower()))

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> NameIndex:
        tables = NameTables(con, planner=True)
        counts = tables.counts()
        big = tuple(k for k in NAME_KINDS if counts.get(k, 0) > BIG_KIND)
        names = tables.all_names([k for k in (*NAME_KINDS, "catalog_model") if k not in big])
        catalog = names.pop("catalog_model")
        return cls(names, catalog, big, tables)

    def bind(self, con: duckdb.DuckDBPyConnection) -> NameIndex:
        """This index with lookups of its big kinds on `con` (a cached index outlives the connection it was read on)."""
        bound = object.__new__(NameIndex)
        bound.__dict__.update(self.__dict__)
        bound.tables = NameTables(con, planner=True) if self.big else None
        bound._big_hits = {}
        return bound

    @classmethod
    def for_store(cls, con: duckdb.DuckDBPyConnection, path: Path | None = None) -> NameIndex:
        """`read`, cached per store file version (path, mtime, size): a bot answering many questions
        reads the names once per ingest, not once per question."""
        if path is None or not path.exists():
            return cls.read(con)
        st = path.stat()
        key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
        hit = _CACHE.get(key)
        if hit is None:
            hit = cls.read(con)
            if len(_CACHE) >= _CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[key] = hit
            return hit
        return hit.bind(con) if hit.big else hit

    # -- per question: the big kinds' names the question may mean, read from the store once -------------
    def words_for(self, text: str) -> frozenset[str]:
        """The words of `text` that are (part of) a name: `words` for the small kinds, the index for the big."""
        if not self.big or self.tables is None:
            return self.words
        cands = set(re.findall(r"[a-z]+", text))
        return self.words | frozenset(self.tables.words(sorted(cands)))

    def prefetch(self, tokens: list[str], text: str) -> dict[str, list[str]]:
        """Look up every span of up to four tokens in the big kinds (one query); returns the big kinds' names
        this question may mean (exact, the longer names a token starts, close spellings of identifiers)."""
        if not self.big or self.tables is None:
            return {}
        spans = {fold(" ".join(tokens[i:i + n])) for n in (1, 2, 3, 4) for i in range(len(tokens) - n + 1)}
        hits = self.tables.exact(sorted(spans), list(self.big))
        self._big_hits = {}
        relevant: dict[str, set[str]] = {k: set() for k in self.big}
        for kind, folded, name in hits:
            self._big_hits.setdefault(folded, []).append((kind, name))
            relevant[kind].add(name)
        # Identifier-like words (digits or dashes) that no name matched: the longer names they start and
        # close spellings, for "the start of a longer name" and "did you mean" (agent.coverage).
        for tok in sorted(set(_SPAN_TOKEN.findall(text))):
            if len(fold(tok)) < 4 or not re.search(r"\d|-", tok) or fold(tok) in self._big_hits:
                continue
            for kind, name in self.tables.with_prefix(fold(tok), list(self.big), limit=5):
                relevant[kind].add(name)
            for kind, name in self.tables.near(tok, list(self.big), limit=10):
                relevant[kind].add(name)
        return {k: sorted(v) for k, v in relevant.items()}

    def is_name(self, folded: str) -> bool:
        return any(folded in idx for idx in self.folded.values()) or folded in self._big_hits

    def lookup(self, span: str) -> list[tuple[str, str]]:
        key = fold(span)
        if not key:
            return []
        hits = [(kind, idx[key]) for kind, idx in self.folded.items() if key in idx]
        seen = {k for k, _ in hits}
        for kind, name in self._big_hits.get(key, []):
            if kind not in seen:              # the first (sorted) name of a kind with this folded form
                hits.append((kind, name))
                seen.add(kind)
        alias = ALIASES.get(span.strip().lower())
        if alias and alias[1] in self.by_kind.get(alias[0], []) and alias not in hits:
            hits.append(alias)
        return hits


def extract(question: str, index: NameIndex, today: date | None = None) -> Entities:
    plain = normalise(question)
    text, fixes = correct(plain, STOPWORDS | set(GROUP_WORDS) | index.words_for(plain))
    tokens = _TOKEN.findall(text)
    known = {**index.by_kind, **index.prefetch(tokens, text)}
    ent = Entities(question=question, text=text, tokens=tokens, known=known, today=today, fixes=fixes)
    found = find_period(text)
    ent.period, ent.period_unparsed = found.phrase, list(found.unparsed)
    ent.period_compared = found.compared_with
    _same_day_a_week_earlier(ent)
    if ent.period and ent.period_compared is None and len(ent.period_unparsed) == 1 and _COMPARE.search(text):
        # "how does last month's total compare to september?": the one other period word is the one compared;
        # when it comes first ("yesterday ... against last week"), it is the one asked about
        other = find_period(ent.period_unparsed[0])
        if other.phrase == ent.period_unparsed[0] and not other.unparsed:
            ent.period_compared, ent.period_unparsed = other.phrase, []
            if 0 <= text.find(other.phrase) < text.find(ent.period):
                ent.period, ent.period_compared = other.phrase, ent.period
            ent.period_compared = compared_period(ent.period_compared)   # "october vs the previous month"
    _stated_then_asked(ent)
    _same_period_twice(ent)
    _baseline_only(ent)
    _amounts(ent)
    m = _MULTIPLIER.search(text)
    if m:
        ent.multiplier = Decimal(m.group(1))
    m = _TOP.search(text)
    if m:
        count = m.group(1) or m.group(2) or m.group(3)
        ent.top = COUNT_WORDS.get(count) or int(count)
        ent.top_span = m.span()
    ent.ascending = bool(_LEAST.search(text))
    _group(ent)
    _names(ent, index)
    _prefix_names(ent)
    _described_resource(ent, index)
    ent.catalog_models = list(dict.fromkeys(index.catalog[t] for t in tokens if t in index.catalog))
    ent.cue_text = _masked(ent)
    return ent


# "yesterday against the same day a week earlier / last week": the day asked about, compared with that day
# seven days before (not with the whole of last week, and not with the day before).
_SAME_DAY_WEEK = re.compile(r"\b(?:the\s+)?same\s+day\s+(?:a\s+week\s+(?:earlier|before|ago|prior)|(?:of\s+)?"
                            r"(?:last|the\s+previous|the\s+prior)\s+week|the\s+week\s+before)\b")


def _same_day_a_week_earlier(ent: Entities) -> None:
    m = _SAME_DAY_WEEK.search(ent.text)
    if m is None or ent.today is None or ent.period_compared is not None:
        return
    inside = m.group(0)
    phrases = [p for p in [ent.period, *ent.period_unparsed] if p and p not in inside]
    if len(phrases) != 1:
        return                                  # no day, or several: left for the planner to ask about
    try:
        day = parse_period(phrases[0], ent.today)
    except FinopsError:
        return
    if day.days != 1:
        return
    ent.period, ent.period_unparsed = phrases[0], []
    ent.period_compared = (day.start - timedelta(days=7)).isoformat()


# "bigquery was ~12.6k in sept, what did it come to in oct?": a figure the asker states for one period, then the
# period asked about. The stated period is the one compared with, the other the one answered.
_STATED = re.compile(r"\b(?:was|were|is|came to|cost|ran)\s+(?:~|about |around |roughly |approx\.? |nearly |almost )?"
                     r"\$?\d[\d,]*(?:\.\d+)?\s?(?:k|m|thousand|million)?\s+(?:in|for|during|over)\s+$")


def _stated_then_asked(ent: Entities) -> None:
    if not ent.period or ent.period_compared is not None or len(ent.period_unparsed) != 1:
        return
    at = ent.text.find(ent.period.lower())
    if at < 0 or not _STATED.search(ent.text[:at]):
        return
    other = find_period(ent.period_unparsed[0])
    if other.phrase == ent.period_unparsed[0] and not other.unparsed:
        ent.period, ent.period_compared, ent.period_unparsed = other.phrase, ent.period, []


# "did our ec2 bill go up compared to october?": the one period named follows a comparison word (_COMPARE's,
# said right before it), so it is the baseline, not the period asked about (it was answered as October against
# September); unless a time word comes before the comparison ("the month before vs last month").
_BASELINE = re.compile(r"(?:\bcompared\s+(?:to|with)|\bvs\.?|\bversus|\bagainst|\brelative\s+to"
                       r"|\bthan(?:\s+(?:we|they|it|you)\s+(?:did|were|was|spent|had))?)\s+(?:(?:in|during|for)\s+)*$")
_OTHER_TIME = re.compile(r"\b(?:days?|weeks?|weekends?|months?|quarters?|years?|today|yesterday|ytd|mtd|qtd)\b")


def _baseline_only(ent: Entities) -> None:
    """A lone period named as the baseline: the month before this one is this month so far's baseline (spend
    sets the month to date against the same days of it); any other is kept aside (`period_baseline`) for a
    reply asking which period to compare with it."""
    if not ent.period or ent.period_compared is not None or ent.period_unparsed or ent.today is None:
        return
    text = ent.text.lower()
    at = text.find(ent.period.lower())
    said = _BASELINE.search(text[:at]) if at >= 0 else None
    if said is None or _OTHER_TIME.search(text[:said.start()]):
        return
    try:
        named = parse_period(ent.period, ent.today)
    except FinopsError:
        return
    month = ent.today.replace(day=1)
    if named.start == (month - timedelta(days=1)).replace(day=1) and named.end == month:
        ent.period = "this month"
    else:
        ent.period, ent.period_baseline = None, ent.period


def _same_period_twice(ent: Entities) -> None:
    """"are we on track this month? where do we land for nov": a second period word that names the same
    period as the one read (the same first day, both reaching today) is understood, not left unread."""
    if not ent.period or ent.today is None or ent.period_compared is not None or not ent.period_unparsed:
        return
    try:
        read = parse_period(ent.period, ent.today)
    except FinopsError:
        return
    kept = []
    for word in ent.period_unparsed:
        try:
            other = parse_period(word, ent.today) if find_period(word).phrase == word else None
        except FinopsError:
            other = None
        same = other is not None and other.start == read.start and min(other.end, read.end) > ent.today
        if not same:
            kept.append(word)
    ent.period_unparsed = kept


# The head noun of a resource described in words ("the summit replica bucket", "that sentiment endpoint").
_RESOURCE_HEAD = re.compile(r"\b((?:[a-z][a-z0-9]*\s+){1,3})(buckets?|endpoints?|clusters?|instances?|databases?|"
                            r"vms?|nodes?|volumes?|disks?|notebooks?|pipelines?|datasets?|tables?)\b")
_DESCRIPTOR_STOP = {"the", "a", "an", "that", "this", "our", "my", "your", "their", "its", "which", "what", "whose",
                    "each", "every", "one", "any", "all", "some", "of", "for", "on", "in", "by", "per", "and", "or",
                    "cost", "costs", "spend", "is", "was", "s3", "gcs", "storage", "gpu", "big", "new", "old", "main",
                    "same", "other", "idle", "busy", "biggest", "largest", "most", "expensive", "cheapest", "only"}


_PREFIX_KINDS = ("team", "app", "project")


def _prefix_names(ent: Entities) -> None:
    """"ml-plat $ for sept?": a dashed word that starts exactly one team, app or project name reads as it."""
    read = {fold(h.span) for h in ent.names}
    for tok in ent.tokens:
        f = fold(tok)
        if "-" not in tok or len(f) < 5 or re.search(r"\d", tok) or f in read:
            continue
        hits = {(k, n) for k in _PREFIX_KINDS for n in ent.known.get(k, []) if fold(n).startswith(f) and fold(n) != f}
        if len({n for _, n in hits}) == 1:
            ent.names.extend(NameHit(k, n, tok) for k, n in sorted(hits))


# "the least", "lowest spender", "cheapest team" (not "at least", a threshold)
_LEAST = re.compile(r"(?<!\bat )\b(?:least|lowest|smallest|cheapest|fewest)\b(?! than\b)")


def _described_resource(ent: Entities, index: NameIndex) -> None:
    """"the summit replica bucket", "the replica bucket from the summit demo": words of the question that are
    parts of resource names (two or more, or one before a resource noun) and together name exactly one
    resource read as that resource. When they fit several, the question gets a "did you mean" (the words
    are never dropped)."""
    if any(h.kind == "resource" for h in ent.names) or not ent.known.get("resource") and "resource" not in index.big:
        return
    read = {w for h in ent.names for w in re.findall(r"[a-z0-9]+", h.span.lower())}
    common = STOPWORDS | _DESCRIPTOR_STOP | vocabulary() | set(GROUP_WORDS)
    parts = _resource_words(ent, index)
    words = [w for w in dict.fromkeys(re.findall(r"(?<![\w-])[a-z][a-z0-9]+(?![\w-])", ent.text))
             if w in parts and w not in read and w not in common and len(w) >= 3]
    headed = any(w in words for m in _RESOURCE_HEAD.finditer(ent.text) for w in m.group(1).split())
    if not words or (len(words) < 2 and not headed):
        return
    keys = [fold(w) for w in words]
    if "resource" in index.big and index.tables is not None:
        names = index.tables.containing(keys, "resource", limit=6)
    else:
        names = [n for n in ent.known.get("resource", []) if all(k in fold(n) for k in keys)][:6]
    # one resource is often known by its id and its name ('arn:…:acme-x' and 'acme-x'): the shortest stands
    distinct = [n for n in names if not any(o != n and fold(o) in fold(n) for o in names)]
    if len(distinct) == 1 and len(names) < 6:
        ent.names.extend(NameHit("resource", distinct[0], w) for w in words)
    elif len(words) >= 2:
        ent.unknown.append(("resource", " ".join(words), distinct[:5]))


def _resource_words(ent: Entities, index: NameIndex) -> frozenset[str]:
    """Letter runs of the store's resource names that occur in the question."""
    cands = set(re.findall(r"[a-z][a-z0-9]+", ent.text))
    if "resource" in index.big and index.tables is not None:
        return frozenset(index.tables.words(sorted(cands)))
    return index.resource_words & cands


def _masked(ent: Entities) -> str:
    """`ent.text` with identifier-like names of MASKED_KINDS replaced by their kind."""
    text = ent.text
    for hit in ent.names:
        if hit.kind in MASKED_KINDS and re.search(r"[-/:.\d_]", hit.span):
            text = re.sub(r"(?<![\w-])" + r"\W+".join(re.escape(t) for t in hit.span.split()) + r"(?![\w-])",
                          hit.kind, text)
    return text


def _amounts(ent: Entities) -> None:
    scale = {"k": 1000, "thousand": 1000, "m": 10**6, "million": 10**6}
    for m in _AMOUNT.finditer(ent.text):
        raw, suffix = (m.group("a"), m.group("am")) if m.group("a") else (m.group("b"), m.group("bm"))
        value = Decimal(raw.replace(",", "")) * scale.get(suffix or "", 1)
        ent.amounts.append(value)
        unit = m.group("unit") or ("month" if m.group("monthly") else None)
        if unit and ent.amount_unit is None:
            ent.amount_unit = {"mo": "month", "hr": "hour"}.get(unit, unit)


# A period of several months, or a trend over time.
_MONTHS = re.compile(r"\b(?:last|past|previous|the) (?:\d+|two|three|four|five|six|several|few|twelve) months\b"
                     r"|\bquarters?\b|\bq[1-4]\b|\byear\b|\bytd\b|\bsince\b|\btrend\b|\bover time\b|\bso far\b")


def _group(ent: Entities) -> None:
    for pattern in (_GROUP, _WHICH):
        for m in pattern.finditer(ent.text):
            found = [g for g in m.groups() if g and g in GROUP_WORDS]
            word = found[-1] if found else ""        # "which of our LLM apps": the noun, not its modifier
            if word in GROUP_WORDS and GROUP_WORDS[word] not in ent.group_by:
                # "per 1K calls", "per month" as a rate is not a grouping
                if pattern is _GROUP and word in ("month", "day", "week") and m.group(0).startswith("per"):
                    continue
                # "per llm call", "per model request": a cost per unit, not a grouping
                if (pattern is _GROUP and m.group(0).startswith("per")
                        and re.match(r"\s+(?:api\s+)?(?:calls?|requests?|tokens?|responses?)\b", ent.text[m.end():])):
                    continue
                ent.group_by.append(GROUP_WORDS[word])
    # "services ranked by cost in october", "our owners sorted by spend", "the fastest growing providers": those
    # rows, ranked
    for m in re.finditer(r"\b([a-z]+)\s+(?:ranked|sorted|ordered|listed)\s+by\b"
                         r"|\b(?:growing|shrinking|rising|falling)\s+([a-z]+)\b", ent.text):
        word = m.group(1) or m.group(2)
        if word in GROUP_WORDS and GROUP_WORDS[word] not in ent.group_by:
            ent.group_by.append(GROUP_WORDS[word])
    # "who is the biggest spender on openai": a team (the planner's owner of spend), not the models
    # ("who's spending the most on anthropic", "who burned the most money on aws", "who is using claude the most")
    if (re.search(r"\bwho(?:'s| is| are)? (?:the |our )?(?:biggest|largest|top|main|heaviest) (?:spenders?|users?|consumers?)\b",
                  ent.text)
            or re.search(r"\bwho(?:'s| is| are| has| have)? (?:been )?(?:spend(?:s|ing)?|spent|burn(?:s|ed|t|ing)?|us(?:es|ed|ing)|"
                         r"consum(?:es|ed|ing)|pa(?:ys|id|ying)|cost(?:s|ing)?)\b(?: [\w.-]+){0,4}? (?:the )?most\b",
                         ent.text)) and not ent.group_by:
        ent.group_by.append("team")
    # "monthly spend for the last 3 months", "the monthly trend this year", "per month this quarter", "how is spend
    # trending since september": a month each, not one total (a resource's "monthly cost" with no such period is
    # its run rate)
    if (re.search(r"\bmonthly\b|\bmonth by month\b|\beach month\b|\bper[ -]month\b|\btrend(?:s|ing|ed)?\b"
                  r"|\bover time\b", ent.text) and _MONTHS.search(ent.text)
            and not re.search(r"\b(?:avg|average|mean|typical|usual|normal)\b", ent.text)   # an average: declined
            and "month" not in ent.group_by):
        ent.group_by.append("month")
    if re.search(r"\bdaily\b|\bday by day\b|\bper day\b|\beach day\b|\b(?:cost(?:s|ing)?|spend(?:s|ing)?|burn(?:s|ing)?)"
                 r"(?: us)? a day\b", ent.text) and "day" not in ent.group_by:
        ent.group_by.append("day")
    # "what's our weekly spend", "what is dev costing per week": week by week, not the period's total
    if (re.search(r"\bweekly\b|\bweek by week\b|\bper week\b|\b(?:cost(?:s|ing)?|spend(?:s|ing)?|burn(?:s|ing)?)"
                  r"(?: us)? a week\b", ent.text) and "week" not in ent.group_by and "day" not in ent.group_by):
        ent.group_by.append("week")


def _names(ent: Entities, index: NameIndex) -> None:
    tokens = ent.tokens
    used = [False] * len(tokens)
    _model_families(ent, index, used)       # before 'claude' alone is read as the provider
    for n in (4, 3, 2, 1):
        for i in range(len(tokens) - n + 1):
            if any(used[i:i + n]):
                continue
            span = " ".join(tokens[i:i + n])
            hits = index.lookup(span)
            if i > 0 and tokens[i - 1] in TARGET_LEADS:
                if not hits and span in index.catalog:
                    hits = [("target_model", index.catalog[span])]
                elif any(k == "model" for k, _ in hits) and MOVE.search(ent.text):
                    hits = [("target_model", next(n for k, n in hits if k == "model"))]
            if not hits:
                continue
            if (n == 1 and span in AMBIGUOUS and not _has_context(tokens, i, hits, index)
                    and not _bare_name(ent, span, hits) and not _topic(ent, span)):
                continue
            if n == 1 and span in STOPWORDS and span not in AMBIGUOUS and not _has_context(tokens, i, hits, index):
                continue
            for i2 in range(i, i + n):
                used[i2] = True
            for kind, name in hits:
                if not any(h.kind == kind and h.name == name for h in ent.names):
                    ent.names.append(NameHit(kind, name, span))
    _near_misses(ent, index, used)


def _model_families(ent: Entities, index: NameIndex, used: list[bool]) -> None:
    """"claude haiku": a model named by its vendor and family without the version is that model when exactly
    one model in the data has that name plus only a version ('claude-haiku-4-5'); two ('claude opus' with 4.1
    and 4.5 billed) stay a "did you mean"."""
    tokens = ent.tokens
    models = index.by_kind.get("model", [])
    for n in (3, 2):
        for i in range(len(tokens) - n + 1):
            if any(used[i:i + n]) or (i + n < len(tokens) and re.match(r"v?\d", tokens[i + n])):
                continue                    # "claude haiku 4.5": the whole name, read by the exact lookups
            span = " ".join(tokens[i:i + n])
            folded = fold(span)
            found = [m for m in models if fold(m).startswith(folded) and fold(m)[len(folded):].isdigit()]
            if len(found) != 1:
                continue
            for i2 in range(i, i + n):
                used[i2] = True
            ent.names.append(NameHit("model", found[0], span))


def _topic(ent: Entities, span: str) -> bool:
    """"staging - last 14d - what did it cost", "research as a % of the total": a name set first, before a dash,
    a colon or a comparison, is the topic."""
    return re.match(re.escape(span) + r"(?:\s*(?:-|:|–|,)\s|\s+(?:as a|as %|vs\.?|v|versus|share|percent)\b)",
                    ent.text) is not None


def _bare_name(ent: Entities, span: str, hits: list[tuple[str, str]]) -> bool:
    """"research $ MTD?": a team's name with only a period and a money word or sign around it is that team."""
    if not any(k == "team" for k, _ in hits) or not (ent.period or "$" in ent.text):
        return False
    rest = ent.text.replace(ent.period or "\0", " ")
    words = [w for w in re.findall(r"[a-z]+", rest) if w != span]
    return len(words) < len(re.findall(r"[a-z]+", rest)) and all(w in _BARE_COST_WORDS for w in words)


_BARE_COST_WORDS = frozenset({"spend", "spent", "cost", "costs", "total", "bill", "usd"})


def _near_misses(ent: Entities, index: NameIndex, used: list[bool]) -> None:
    """Words no name matched that are close to a name of a fuzzy kind: unknown names with suggestions."""
    tokens = ent.tokens
    known = {fold(h.name) for h in ent.names}
    for i, tok in enumerate(tokens):
        if used[i] or tok in STOPWORDS or len(tok) < 4 or not re.search(r"[a-z]", tok) or fold(tok) in known \
                or index.is_name(fold(tok)):
            continue
        if tok in GROUP_WORDS or tok.endswith("'s"):
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if (nxt in FAMILY_WORDS or re.search(r"-(?:class|family|series|tier)$", tok)) and any(
                fold(n).startswith(fold(tok.split("-class")[0])) for n in index.by_kind.get("model", [])):
            continue   # "GPT-4 class models": a family, not a misspelt model
        near_kind = _kind_near(tokens, i)
        best: tuple[float, str, list[str]] | None = None
        for kind in FUZZY_KINDS:
            names = index.by_kind.get(kind, [])
            scored = sorted(((fuzz.ratio(fold(tok), fold(n)), n) for n in names), key=lambda x: (-x[0], x[1]))
            threshold = FUZZY_MIN - (10 if near_kind == kind else 0)
            close = [n for s, n in scored if s >= threshold][:3]
            if close and (best is None or scored[0][0] > best[0]):
                best = (scored[0][0], kind, close)
        if best is not None:
            ent.unknown.append((best[1], tok, best[2]))


def _has_context(tokens: list[str], i: int, hits: list[tuple[str, str]], index: NameIndex | None = None) -> bool:
    kinds = {k for k, _ in hits}
    prev = tokens[i - 1] if i > 0 else ""
    prev2 = tokens[i - 2] if i > 1 else ""
    nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
    for kind in kinds:
        words = KIND_WORDS.get(kind, ())
        if nxt in words or prev in words or (prev == "the" and prev2 in words):
            return True
    if prev == "of" and prev2 in ("day", "days", "week", "weeks", "month", "months", "year", "years", "hours", "rows"):
        return False                 # "across the 90 days of data": the data held, not the team
    # "search's budget", "support's avg daily spend": a possessive with a cost word a few words on
    possessive = nxt == "s" and (any(t in TEAM_TRAILS for t in tokens[i + 2:i + 6]) or i + 2 >= len(tokens))
    if "team" in kinds and (prev in TEAM_LEADS or (prev == "the" and nxt in ("team", "teams"))
                            or nxt in TEAM_TRAILS or possessive):
        return True
    if "environment" in kinds and prev in ("in", "on") and nxt not in ("that", "which"):
        return True
    # "prod and dev spend", "split between prod and dev": environments named together or before a cost
    if "environment" in kinds and (nxt in ("spend", "spending", "cost", "costs", "costing", "bill", "and", "or", "&")
                                   or prev in ("and", "or", "&")):
        return True
    if "team" in kinds and index is not None and (prev in ("or", "and", "&") or nxt in ("or", "and", "&")):
        # "research or data — who spent more": named beside another team
        other = tokens[i - 2] if prev in ("or", "and", "&") and i > 1 else tokens[i + 2] if i + 2 < len(tokens) else ""
        if other != tokens[i] and any(k == "team" for k, _ in index.lookup(other)):
            return True
    if prev in ("vs", "versus") or nxt in ("vs", "versus"):     # "prod vs dev", "search vs recsys"
        # ... when the other side is a name of the same kind ("save us versus list price" names no region)
        other = tokens[i - 2] if prev in ("vs", "versus") and i > 1 else tokens[i + 2] if i + 2 < len(tokens) else ""
        return index is None or any(k in kinds for k, _ in index.lookup(other))
    return False


def _kind_near(tokens: list[str], i: int) -> str | None:
    window = tokens[max(0, i - 2):i] + tokens[i + 1:i + 3]
    for kind, words in KIND_WORDS.items():
        if any(w in words for w in window):
            return kind
    return None
