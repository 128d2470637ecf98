"""The offline planner's intent table: for each tool, the phrases that point at it, with weights.

A question's score for an intent is the sum of the weights of the cues it matches (a negative weight marks
words of a more specific tool); the best intent at or above THRESHOLD wins (ties: the earlier row). `preset` arguments are set when the intent wins (the
planner drops any the tool's args model does not have). Cues are regular expressions over the
normalised question (lower case, "1,000" -> "1000", "×" -> "x").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from tools.who_owns import SUPERLATIVE_WORDS

THRESHOLD = 1.0


@dataclass(frozen=True)
class Intent:
    name: str
    tool: str
    cues: tuple[tuple[str, float], ...]
    preset: dict[str, Any] = field(default_factory=dict)
    kinds: dict[str, float] = field(default_factory=dict)   # names of these kinds in the question add weight

    def score(self, text: str, kinds: frozenset[str] = frozenset()) -> float:
        return (sum(w for pattern, w in self.cues if re.search(pattern, text))
                + sum(w for kind, w in self.kinds.items() if kind in kinds))


AMOUNT = r"(?:\$\s?\d[\d.]*\s?(?:k|m)?|\b\d[\d.]*\s?(?:k|m)\b)"
GPU = r"(?:h100|h200|a100|l40s|a10g|l4|b200|v100|t4|gpus?)"

# Words of a change between two periods ("which services came down", "where did spend grow the most"): the
# movers cue below and the offline planner's MOVERS read the same lists.
# Counts said in words ("top four regions", "which two teams"): one list for the intents and the entities.
COUNT_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
COUNT_WORD_RE = "|".join(COUNT_WORDS)
MOVE_DOWN = (r"shrank|shrunk|shrink|fell|dropped|drop|decreased|decrease|declined|went down|gone down|go down|"
             r"got cheaper|came down|(?:is|are|was|were) down the most")
MOVE_UP = (r"grew|grown|grow|rose|rise|increased|increase|jumped|jump|went up|gone up|go up|climbed|"
           r"got (?:more expensive|pricier|costlier)|(?:is|are|was|were) up the most")
# A ranking by the change itself ("top 3 services by growth", "fastest growing teams", "biggest increases by
# service"): the movers too, never a ranking by size.
GROWTH_RANK = (r"\bby (?:(?:cost|spend|spending|billing) )?(?:growth|increases?|decreases?|change)\b"
               r"|\bfastest[- ]growing\b|\bgrowing (?:the )?fastest\b|\b(?:biggest|largest|fastest) growth\b"
               r"|\b(?:biggest|largest|top) (?:increase[sd]|decrease[sd]|drops|jumps|gains)\b")

# One GPU job described by its cost ("the priciest sweep", "which experiment run was costliest"): the job history's.
_JOB_COSTLIEST = r"most expensive|priciest|costliest|biggest|largest|cheapest|least expensive"
_JOB_KIND = (rf"{GPU}|training|fine-?tun\w*|batch(?:[- ]inference)?|gpu|sweep|experiment")
# ... and its average ("the mean cost of our fine-tune runs", "a typical training run")
_JOB_AVERAGE = r"average|avg|mean|typical"

# GPU hours ("per GPU hour", "gpu-hours"): the job history's GPUs x hours (agent.arg_hooks.job_runs).
GPU_HOURS = r"\bgpu[\s-]?h(?:ou)?rs?\b"
# Words that order a list of GPU jobs (the job_runs intent reads them; agent.arg_hooks maps the ones job_runs
# can list by and the offline planner asks back for the others).
ORDER_WORDS = "longest|long-running|shortest|quickest|fastest|slowest|oldest|newest|earliest|most recent|latest"

# "the most expensive storage bucket", "our priciest db": one resource of a kind, described by its cost (who_owns
# finds it: the costliest of that kind over its window). Plural kinds ("top 3 buckets") are rankings.
# The superlatives are who_owns' own (one list); the nouns are the kinds of one piece of infrastructure (not "model",
# "job" or "run": an LLM model's and a training run's costs have their own tools).
# A spending pace: "run rate", "burn rate" ("burn-down" is a budget's).
RUN_RATE = r"\b(?:run|burn)[- ]?rate\b"
# ... as a forecast's cue: not beside a budget ("at the current burn rate, will support go over its budget?"
# is the budgets tool's, which forecasts against the budget)
_PACE_NOT_BUDGET = rf"^(?!.*\bbudget).*?{RUN_RATE}"
# (one resource: "the top two database resources" or "top 3 buckets" is a ranking of several, spend's)
SUPERLATIVE_RESOURCE = (rf"\b(?:{SUPERLATIVE_WORDS})\s+(?!(?:\d+|two|three|four|five|six|seven|eight|nine|ten)\b)"
                        r"(?:[\w-]+\s+){0,2}?"
                        r"(?:bucket|database|db|cluster|instance|vm|server|machine|box|disk|volume|endpoint)\b"
                        r"(?!\s+resources\b)")

INTENTS: tuple[Intent, ...] = (
    Intent("who_owns", "who_owns", (
        (SUPERLATIVE_RESOURCE, 5.0),   # over "how much … costing" (spend): a total of the kind is not its costliest one
        (r"\bwho (?:owns|is responsible for|runs|pays for|created|launched|started|is the owner|kicked off|submitted|"
         r"spun up)\b", 2.5),
        # "who's paying for the X bucket?", "who is footing the bill for X"
        (r"\bwho(?:'s| is| are)? (?:paying|footing the bill) for\b|\bwho foots the bill for\b"
         r"|\bwho(?:'s| are) responsible for\b|\bwho(?:'s| is| are) in charge of\b", 2.5),
        (r"\b(?:which|what) teams? (?:owns?|is responsible|are responsible|runs?|pays?|is behind|are behind)\b", 2.5),
        (r"\b(?:which|what) (?:job|pipeline|person|user|deploy\w*) (?:created|launched|started|deployed|spun up)\b", 2.5),
        (r"\bwhose\b|\bowner of\b|\bwho'?s the owner\b|\bowned by\b|\bwho does .* belong to\b", 2.0),
        (r"(?<!no )(?<!without )(?<!any )\bowning (?:team|person|group|org)\b|\bwho owns\b", 2.5),
        (r"\bbelongs? to\b|\bownership\b", 1.0),
        # "which team is on the hook for it?", "X - owner?" ("last month, by owner" is a grouping)
        (r"\bon the hook for\b|(?<!\bby )(?<!\bper )\bowners?\s*\??\s*$", 2.5),
        (r"\brun[ -]?rate of\b|\bmonthly run[ -]?rate\b", 2.0),
        # "8xH100 serving cluster, daily cost?": a cluster that serves today is a resource, not a job to price
        (rf"\b\d+\s?x?\s?{GPU}s?\s+(?:serving|inference|prod(?:uction)?|running|live)\s+"
         r"(?:cluster|endpoint|fleet|deployment|nodes?|servers?|box|pod)\b", 4.0),
        # ... or described by what runs on it: "the inference cluster running 8x H100", "the h100 box w/ 8 gpus
        # that serves our models", "the serving cluster with eight H100s"
        (rf"\b(?:serving|inference|prod(?:uction)?|live)\s+(?:cluster|fleet|box|pod|nodes?|servers?|machines?)\s+"
         rf"(?:running|with|w/|of)\s+(?:\d+|two|four|eight|sixteen)\s?x?\s?{GPU}s?\b"
         rf"|\b{GPU}s?\s+(?:cluster|box|node|server|machine)\s+(?:with|w/)\s+(?:\d+|two|four|eight|sixteen)\s+gpus?\b"
         r".{0,30}\b(?:serv(?:es|ing)|runs|running|hosts?)\b", 4.0),
        # ... unless it is a job to price: "how much would an 8xH100 serving cluster cost for 3 days?"
        (r"\b(?:would|will|gonna|going to|if we|estimate|launch|spin up|plan(?:ning)? to)\b", -2.0),
        (r"\bwho (?:should|do|can|could|must) (?:i|we) (?:talk|speak|ask|contact|ping|call|email|write)\b|"
         r"\bwho(?:'s| is) (?:accountable|in charge)\b|\bwho to (?:talk|speak|ask|contact|ping)\b", 2.5),
    )),
    Intent("explain_charge", "explain_charge", (
        (rf"\bwhat(?:'s| is| was| are)? (?:this|that|the|these)\s+(?:one-off\s+|big\s+|huge\s+)?{AMOUNT}.{{0,30}}\b(?:charges?|line|bill|item|invoice)", 3.0),
        (r"\b(?:explain|break down|what is|what's|why is there|why was there|where does|where did)\b.{0,40}\bcharges?\b", 2.0),
        (rf"\b(?:who|which team|what team|whose)\b.{{0,40}}{AMOUNT}.{{0,30}}\bcharges?\b", 3.0),
        (r"\bcharges?\b", 0.8),
        (r"\b(?:line item|invoice line|one-off|one off)\b", 1.0),
        # "the biggest gcp charge yesterday": one charge line ranked, not a total (the spend cue's "how much")
        (r"\b(?:biggest|largest|top|most expensive|priciest|costliest|highest)\s+(?:[\w-]+\s+){0,2}?"
         r"(?:charges?|line items?)\b", 3.0),
        (AMOUNT, 0.3),
        # "there's a ~17k line on nov 19, wtf is it?": an amount named as a line of the bill
        (r"(?:~|about |around |roughly |approx\.? )\$?\d[\d.]*\s?k?\s+(?:line|charge|item|line item|entry)\b"
         r"|\b(?:line|charge|item|entry)\b.{0,40}\b(?:what|wtf|wth)\b.{0,6}\bis (?:it|that|this)\b", 2.5),
    )),
    Intent("estimate", "estimate", (
        (rf"\b\d+\s?x?\s?{GPU}", 1.5),
        (r"\bestimate\b|\bpre-?launch\b|\bbefore (?:we |i )?(?:launch|start|run)\b", 1.5),
        (r"\bapprove\b|\bapproval\b|\bgo ahead\b|\bsign off\b", 1.5),
        (rf"\b\d+\s?x?\s?{GPU}.{{0,120}}\b(?:will it fit|fits?|within (?:the |its |our )?budget|over (?:the |its |our )?budget|budget of)\b", 2.0),
        (r"\b(?:will|would) (?:this|it|that|the job|the run|a run) cost\b|\bhow much (?:will|would)\b", 1.2),
        # "how much does it cost to run 16 h100s for a day": the price of running GPUs, not the bill
        (rf"\bcost(?:s)? (?:us |me )?to (?:run|train|rent|launch|spin up|use)\s+(?:\w+\s+)?\d+\s?x?\s?{GPU}s?\b", 2.5),
        (r"\bfor \d+(?:\.\d+)? ?(?:hours?|hrs?|h|days?)\b", 0.8),
        # "double the GPUs", "half the hours": the job priced before, resized (agent.arg_hooks)
        (r"\b(?:double|twice|triple|quadruple|halve|half|\d+(?:\.\d+)?\s?x)\s+(?:the\s+|as\s+many\s+)?(?:gpus?|nodes?|hours?|duration|run ?time)\b", 1.5),
        (r"\b(?:training|fine-?tune|job|run|batch)\b", 0.3),
        (r"\b\d+(?:\.\d+)?\s?(?:k|m|million|thousand)?\s?(?:calls|requests)\b.{0,60}\b(?:input|output|prompt|completion) tokens?\b", 3.0),
        (r"\b\d+(?:\.\d+)?\s?(?:k|m|million|thousand)?\s?[\w.-]*\s?(?:calls|requests)\b.{0,60}\b\d+\s?(?:in|input)\b.{0,12}\b\d+\s?(?:out|output)\b", 3.0),
    )),
    Intent("tag_audit", "tag_audit", (
        (r"\buntagged\b|\bnot tagged\b|\bwithout (?:a |any )?(?:team |owner |project |env )?tags?\b|\bmissing (?:a |an |the )?(?:team |owner |project |env )?tags?\b", 2.5),
        (r"\b(?:has|have|with|carr(?:y|ies)) no (?:team |owner |project |env )?tags?\b|\bno (?:team|owner|project|env) tag\b|\btags? (?:is |are )?missing\b", 2.5),
        (r"\bmis-?tagged\b|\btag(?:ging)? (?:coverage|compliance|audit|hygiene|policy)\b|\bbad tags?\b", 2.5),
        (r"\bunallocated\b|\bunowned\b|\bno owner\b|\bwho should own\b|\bnobody owns\b", 1.5),
    )),
    Intent("prompt_audit", "prompt_audit", (
        (r"\bsystem prompts?\b", 3.0),
        (r"\bprompts?\b", 1.2),
        (r"\btrim(?:ming|med)?\b|\bshorter prompt\b|\bprompt caching\b|\bcach(?:e|ing)\b", 1.0),
        (r"\bmax_tokens\b|\bmax tokens\b|\bmax-tokens\b|\boutput (?:token )?limit\b", 2.0),
        # "p95 output tokens": the output length the audit reads (its P95; not what the calls cost)
        (r"\b(?:p95|95th percentile)\b.{0,20}\b(?:output|completion|response) (?:tokens?|length)\b", 5.0),
        (r"\bfrontier model\b|\bcheaper model\b|\bsmaller model\b|\bmini would do\b|\ba mini\b|\boverkill\b|\bcheaper tier\b", 2.0),
        (r"\bclassification\b|\btask type\b", 0.5),
        (r"\b(?:mov|switch|migrat|downgrad|port)\w* .{0,60}\bto\b", 1.5),
    ), kinds={"target_model": 3.0}),   # a catalog model to move to: the audit prices that move
    Intent("llm_spend", "llm_spend", (
        (r"\bllms?\b|\btokens?\b|\bgpt\b|\bgpt-\d|\bclaude\b|\bopenai\b|\banthropic\b|\bapi calls?\b|\bai apis?\b", 2.0),
        (r"\bgpt-?4-?class\b|\bfrontier models?\b|\bper token\b", 1.0),
        (r"\bby (?:app|prompt|feature|model)\b|\bper (?:app|prompt|model)\b|\bwhich models?\b|\bwhat models?\b", 0.8),
        (r"\b(?:spend|spent|spending|cost|costs|costing|bill|pay|paying)\b", 0.9),
    ), kinds={"app": 2.0, "prompt": 1.0, "feature": 1.0, "customer": 1.0}),
    Intent("anomalies", "anomalies", (
        (r"\bunusual\b|\banomal\w*\b|\bspikes?\b|\bspiked\b|\bweird\b|\bodd\b|\bunexpected\b|\bstrange\b|\bout of the ordinary\b|\bsurprises?\b", 2.5),
        (r"\bwhy did\b.{0,60}\b(?:jump|spike|go up|increase|rise|double)\b|\bjump(?:ed)?\b|\bsurged?\b|\bdrift(?:ing)?\b|\bcreep(?:ing)?\b", 2.0),
        # "is anything costing more than usual": against its own normal level, not this period against the last
        (r"\b(?:more|higher|bigger|larger) than (?:usual|normal|typical|expected)\b|\babove (?:normal|usual|baseline)\b", 2.5),
        # the word itself names this tool: "anomalies in gpt-4.1 spend" is not gpt-4.1's spend (LLM's cues add to 2.9)
        (r"\banomal\w*\b", 1.0),
    )),
    Intent("waste", "waste", (
        (r"\bidle\b|\bzombies?\b|\babandoned\b|\bunused\b|\borphan(?:ed)?\b|\bforgotten\b|\bleft (?:on|running)\b", 2.5),
        (r"\bunder-?utili[sz]ed\b|\blow(?:ly)? utili[sz](?:ed|ation)\b|\bpast (?:their |its )?ttl\b|\bwaste\w*\b|\bnot used\b", 2.5),
        (r"\b(?:looks|look|running|runs|behaves|behave|acts?) like prod\w*\b|\bdev\b.{0,60}\bprod\w*\b", 2.0),
        (r"\b(?:serving|serves|taking|takes|handling|handles|getting|gets) (?:real )?prod(?:uction)? (?:traffic|load|requests)\b"
         r"|\b(?:nobody|no one|no-one|noone)(?:'s| is)? (?:hitting|calling|using|querying)\b", 2.5),
        # "dev vs prod cost": environments compared, a spend question (not "dev that looks like prod")
        (r"\b(?:dev|prod\w*|staging)\s+(?:vs\.?|versus|and|or)\s+(?:dev|prod\w*|staging)\b", -2.0),
        (r"\bforg[eo]t\w* to (?:turn|switch|shut) (?:it |them )?off\b|\bstill (?:on|running)\b", 2.0),
        (r"\bstill worth (?:running|keeping|it)\b|\bworth running\b|\bzero traffic\b|\bno traffic\b", 2.0),
        (r"\bdoing nothing\b|\bsitting (?:idle|there|around)\b|\bburning (?:money|cash)\b|\bnot doing anything\b", 2.5),
        (r"\b(?:nobody|no one|no-one|noone) (?:calls?|uses?|hits?|queries|sends)\b|\bnever (?:called|used)\b|\bno (?:requests|calls|users)\b", 2.5),
    )),
    Intent("job_runs", "job_runs", (
        (r"\bdiscard\w*\b|\bthrown? (?:away|out)\b|\bthrew (?:away|out)\b|\bscrapp?\w*\b|\bbinned\b", 3.0),
        (r"\b(?:job|run|training) history\b|\bhistory of (?:the |our )?(?:gpu |training )?(?:jobs|runs)\b", 3.0),
        (r"\b(?:failed|crashed|cancel+ed|killed|aborted|completed|finished|successful|past|previous|recent|earlier) "
         r"(?:gpu |training |fine-?tun\w* |batch )?(?:runs?|jobs?)\b", 2.5),
        (r"\b(?:runs?|jobs?) (?:that |which )?(?:have |has )?(?:failed|crashed|got cancel+ed|(?:was|were) cancel+ed)\b", 2.5),
        (r"\b(?:what|which) (?:gpu |training )?(?:jobs|runs) (?:ran|have run|did we run)\b", 2.5),
        # "# of gpu jobs running rn", "how many jobs are running right now"
        (r"(?:#|\bhow many\b|\bnumber of\b).{0,20}\b(?:jobs|runs) (?:are |r )?(?:still )?(?:running|in flight|active)\b", 3.0),
        # "what did ml-platform's GPU jobs cost last month?": the jobs (plural: what ran), not the whole bill
        (rf"\b(?:{GPU}|training|fine-?tun\w*) (?:jobs|runs)\b", 2.5),
        # "the biggest training run", "which gpu job cost the most", "our priciest fine-tune": one job described by
        # its cost is the job history's (ordered by cost), not the bill's
        (rf"\b(?:{_JOB_COSTLIEST}) (?:(?:{_JOB_KIND}) )?(?:job|run|fine-?tune|sweep|experiment)s?\b"
         rf"|\b(?:(?:{_JOB_KIND}) )?(?:job|run)s?\b.{{0,20}}\b(?:cost (?:us )?(?:the )?(?:most|least)|"
         rf"(?:was|is|were|are) (?:the )?(?:{_JOB_COSTLIEST}))\b", 4.0),
        # "average cost per gpu job", "what does a typical training run cost", "mean cost of our fine-tune runs":
        # the jobs' total over their count (agent.derived.average_per_job)
        (rf"\b(?:cost|spend|spent|pay|pays|paid|paying)\s+(?:per|a|each)\s+(?:(?:{_JOB_KIND})\s+)?(?:job|run)\b"
         rf"|\b(?:{_JOB_AVERAGE})\b(?:\W+\w+){{0,4}}?\W+(?:(?:{_JOB_KIND})\s+)?(?:jobs?|runs?|fine-?tunes?|sweeps?|experiments?)\b"
         r"(?![- ]?rate)", 4.0),
        # "which GPU job ran the longest", "the newest job the search team kicked off": an ordered list of jobs
        (rf"\b(?:{ORDER_WORDS})\b(?:\W+\w+){{0,4}}?\W+(?:jobs?|runs?)\b|\b(?:jobs?|runs?)\b(?:\W+\w+){{0,3}}?\W+(?:the )?"
         r"(?:longest|shortest|quickest|fastest|slowest)\b", 2.5),
        # ... unless they are waste: zombie or abandoned jobs, past their TTL, making no progress
        (r"\bzombies?\b|\babandoned\b|\bpast (?:their |its )?ttl\b|\bno progress\b", -2.5),
        # "cost per gpu hour for training jobs", "total gpu hours used by jobs": GPUs x hours of the jobs
        (GPU_HOURS, 4.0),
        (r"\bfine-?tunes\b", 1.0),          # "paying per GPU-hour on fine-tunes": the jobs of that kind
    )),
    Intent("remediations", "remediations", (
        (r"\bfix first\b|\bwhat should (?:we|i) (?:fix|do|cut|change)\b|\bremediat\w*\b|\brecommend\w*\b", 2.5),
        (r"\bsave (?:the )?most\b|\bsavings? (?:opportunit\w*|ideas?)\b|\bquick wins?\b|\bbiggest savings\b|\beasiest savings\b|\bwhich savings\b", 2.5),
        (r"\b(?:cut|reduce|lower|trim|shrink|bring down) (?:our |the |my )?(?:[\w-]+ )?(?:costs?|spend|spending|bill)\b", 4.0),
        (r"\bsave per month\b|\bsaves? per month\b|\bwhat does it save\b", 1.0),
        # "list of fixes w/ monthly savings", "single biggest saving we could grab"
        (r"\bfix(?:es)?\b.{0,30}\bsav\w*|\b(?:biggest|largest|best|top) (?:single )?(?:saving|win|fix)\b"
         r"|\bsavings?\b.{0,30}\b(?:grab|capture|get|bank|realis|realiz)\w*", 2.5),
        (r"\b(?:would|will|could|does|do) (?:we |it |that |this )?.{0,70}\bsave\b|\bby (?:monthly )?savings\b|\brank\w*\b.{0,40}\bsavings\b", 2.0),
    )),
    Intent("budgets", "budgets", (
        (r"\bbudgets?\b", 2.0),
        (r"\bhow much (?:of (?:it|that|this|the budget) )?(?:is |do (?:we|they) have )?(?:left|remaining|remains?)\b", 1.0),
        (r"\bclosest to\b|\bover (?:its |their )?(?:budget|limit)\b|\bburn[- ]?(?:rate|down)\b|\bheadroom\b|\boverspend\w*\b", 1.0),
        # "is research on track for its november budget?": the budget's burn, not a 30-day forecast
        (r"\bon track (?:for|against|with|to stay (?:in|within|under)) (?:its |their |our |the )?(?:\w+ )?budget\b", 2.5),
        (rf"\b\d+\s?x?\s?{GPU}|\bwith a budget of\b", -2.0),   # a job's own budget: estimate's verdict
        # "how much spent so far this nov, and what's the nov budget?": spent against budget is the budget's answer
        (r"\b(?:spent|spend|spending)\b.{0,60}(?:\band\b|\bplus\b|\+|&).{0,40}\bbudget\b", 2.0),
    )),
    Intent("forecast", "forecast", (
        (r"\bforecast\w*\b|\bproject(?:ed|ion)\b|\boutlook\b|\bon track\b|\b(?:land|end up|finish)\b.{0,20}\b(?:eom|eoq|eoy)\b|\bwill we (?:spend|end)\b|\bby (?:the )?end of (?:the )?(?:month|quarter|year)\b|\bnext (?:month|quarter|week)\b|\bexpected spend\b", 2.5),
        # "at this rate, where does the total land?", "EOM projection at current pace"
        (r"\b(?:at|on) (?:this|the current|current|our current|today's) (?:run[- ]rate|rate|pace|burn(?: rate)?|trajectory)\b"
         r"|\bwhere (?:does|do|will) .{0,30}\b(?:land|end up|finish)\b|\beom\b"
         # "how will this month end up?"
         r"|\b(?:this|the current) month\b.{0,30}\b(?:end up|land|finish)\b", 2.5),
        (r"\bend of (?:the )?(?:month|quarter|year)\b|\bpredict\w*\b|\bnext (?:month|quarter|week|year)\b", 1.0),
        # the word itself names this tool: "forecast anthropic spend" is no LLM spend of the past (LLM's cues add
        # to 2.9); "expected anthropic bill for december" neither
        (r"\bforecast\w*\b|\bproject(?:ed|ion)\b|\bexpected (?:\w+ )?(?:spend|bill)\b", 1.0),
        (r"\bexpected (?:\w+ )?bill\b", 2.5),
        # "how much will the recsys team spend on openai over the next two weeks": spend ahead, not the last 30 days
        # ("how much will the job cost" stays an estimate: a run is priced, not spent)
        (r"\bwill (?:[\w.'’-]+ ){1,4}spend\b", 3.5),
        # "what will anthropic cost us in january": a month ahead ("how much will the job cost" stays an estimate)
        (r"\bwill (?:[\w.'’-]+ ){1,4}cost (?:us |me |the company )?(?:in|for|during|through|over) (?:the )?"
         r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)\w*\b", 3.5),
        # "what's our run rate?", "the current burn rate": the pace of the whole bill (or a team's: "the run rate
        # of the search team", offline_planner._run_rate_of_scope); "the run rate of <resource>" is who_owns'
        (_PACE_NOT_BUDGET, 1.5),
    )),
    Intent("unit_costs", "unit_costs", (
        (r"\bcost per (?!team|service|provider|project|env|region|account|resource|day|week|month|model\b|app\b)|\bper (?:1k|1000|thousand|million|1m) (?:inferences?|requests?|calls?|predictions?|queries|tickets?)\b|\bunit costs?\b", 3.5),
        (r"\bper (?:prediction|inference|request|query|call|customer|feature|training run|run|ticket|user|answer|response|completion|conversation|message)\b", 2.0),
        (r"\$\s?\d[\d.]*\s(?:or \$\s?\d[\d.]*\s)?(?:per|a|an|each) (?!month|year|week|day|hour)\w+", 2.0),
        (r"\beach (?:[\w-]+ )?(?:training |fine-tuning )?run\b|\bper (?:[\w-]+ )?training run\b", 2.0),
        (r"\b(?:scale|scaled|grow|grows|goes) (?:it |this |that )?(?:up )?to \d+(?:\.\d+)?\s?x\b|\b\d+(?:\.\d+)?\s?x (?:the )?(?:traffic|volume|usage|requests|calls)\b|\bat \d+(?:\.\d+)?\s?x\b", 3.5),
    )),
    Intent("reconcile", "reconcile", (
        (r"\breconcil\w*", 3.0),
        (r"\binvoic\w*", 1.5),
        (r"\b(?:match|matches|agree|line up|tally|vs\.?|versus|against)\b", 0.8),
        (r"\b(?:price|pricing) catalog\b|\bcatalog (?:prices?|drift\w*)\b|\bprice drift\w*\b", 2.5),
        (r"\bcall logs?\b|\busage\b", 0.5),
    )),
    Intent("ai_spend", "spend", (
        (r"\b(?:all (?:this|the|our) |our |the )?ai\b.{0,20}\b(?:cost|costing|spend|spending|bill)|\bai (?:spend|costs?|bill)\b", 3.5),
        (r"\bgenai\b|\bgen ai\b|\bartificial intelligence\b", 1.5),
    ), preset={"group_by": "model"}),
    Intent("spend", "spend", (
        (r"\bhow much\b.{0,40}\b(?:spend|spent|spending|cost|costing|pay|paying|paid|burn(?:ed|t|ing)?)\b", 1.5),
        (r"\bhow much (?:was|is|were|are|did|does) (?:that|it|this|they|those)\b", 1.0),
        (r"\bwhat did we spend\b|\bwhat (?:do|did) we pay\b|\bcosting us\b|\bour (?:cloud |total )?bill\b|\btotal (?:cost|spend)\b", 1.5),
        # "last month's invoice total", "september invoice amount": the bill (reconcile compares LLM invoices)
        (r"\binvoiced?\s+(?:total|amount|sum)\b|\btotal\s+(?:of\s+)?(?:the\s+|our\s+)?invoices?\b", 2.5),
        (r"\b(?:spend|spent|spending|cost|costs|billed|bill)\b", 1.0),
        (r"\bwhat(?:'s| is| are)\b.{0,60}\bcosting\b", 1.5),       # "what's the replica bucket costing a day?"
        (r"\bwhat(?:'s|s| is| was) (?:the|our) total\b|\b(?:giving|paying|sending) (?:the )?most (?:money )?to\b", 1.5),
        # "what did we burn", "burning in eu-west-1": money spent (a "burn rate" / "burn-down" is a budget's)
        (r"\bburn(?:s|ed|t|ing)?\b(?![- ]?(?:rate|down)\b)", 1.0),
        (r"\b(?:by|per|each) (?:team|service|provider|project|env|environment|region|account|resource|day|week|cloud)s?\b", 0.8),
        (rf"\btop (?:\d+ |(?:{COUNT_WORD_RE}) )?"
         r"(?:services?|teams?|resources?|projects?|regions?|accounts?|providers?)\b|\bmost (?:expensive|costly)\b"
         r"|\b(?:biggest|largest) (?:services|teams|resources|projects|line items)\b"
         r"|\b(?:biggest|largest) (?:single |one |individual )?(?:service|team|resource|project)\b"
         r"|\b(?:priciest|costliest)\b|\b(?:biggest|top|largest) spenders?\b", 1.2),
        # "which services got cheaper in november?", "top movers by team last month" (agent.derived.movers)
        (rf"\bmovers?\b|{GROWTH_RANK}|\b(?:which|what)\s+(?:\w+\s+){{0,2}}(?:teams?|services?|providers?|projects?|regions?|"
         rf"accounts?|clouds?|envs?|environments?)\b.{{0,40}}\b(?:{MOVE_DOWN}|{MOVE_UP})\b"
         # "where did spend grow the most", "which team is up the most", "what jumped the most from sept to oct"
         rf"|\b(?:which|what|where|who)\b.{{0,50}}\b(?:{MOVE_DOWN}|{MOVE_UP}|(?:is|are|was|were) (?:up|down))\b"
         r".{0,12}\bthe most\b", 2.5),
        (r"\b(?:cheapest|least expensive)\s+(?:teams?|services?|providers?|projects?|regions?|accounts?|envs?|"
         r"environments?|clouds?)\b|\b(?:smallest|lowest) spenders?\b|\b(?:spent|spend|spends|spending|costs?|paid|pay|pays) (?:\w+ )?the least\b", 1.5),
        # "what providers did we pay the most in october?", "which two teams did we spend the most on"
        (r"\b(?:which|what)\s+(?:\w+\s+)?(?:teams?|services?|providers?|projects?|regions?|accounts?|envs?|"
         r"environments?|clouds?|vendors?)\s+(?:did|do|have|has)\s+(?:we|i|you)\s+(?:pay|paid|spend|spent)\b", 1.5),
        # "what did I pay the most for": a ranking with nothing named (asked back: which dimension)
        (r"\bwhat\s+(?:did|do|have|has)\s+(?:we|i|you)\s+(?:pay|paid|spend|spent)\s+(?:the\s+)?most\b", 1.5),
        # "which provider was cheapest last month", "what team was the most expensive"
        (r"\b(?:which|what)\s+(?:teams?|services?|providers?|projects?|regions?|accounts?|envs?|environments?|clouds?)\s+"
         r"(?:was|is|were|are|has been)\s+(?:the\s+)?(?:cheapest|least expensive|most expensive|priciest|costliest)\b", 1.5),
        (r"\bdaily\b|\bday by day\b|\bper day\b|\btrend\b", 0.3),
        # words of a more specific tool: the generic spend question steps back
        (r"\bllms?\b|\btokens?\b|\bgpt-?\d?\b|\bclaude\b|\bapi calls?\b|\bai apis?\b", -2.0),
        (r"\bidle\b|\bzombies?\b|\babandoned\b|\bpast (?:their |its )?ttl\b|\buntagged\b|\bmissing (?:a |an |the )?\w* ?tags?\b"
         r"|\bnobody (?:calls|uses)\b", -2.0),
    )),
)

HELP = re.compile(r"^\s*(?:help|\?|what can (?:you|i) (?:do|ask)|what do you (?:know|do)|how do i use)\b|\bwhat can you (?:do|answer)\b|\bwhich questions\b")
GREETING = re.compile(r"^\s*(?:hi|hello|hey|thanks|thank you|ok|okay)\b[\s!.?]*$")


def ranked(text: str, available: set[str] | None = None, kinds: frozenset[str] = frozenset()) -> list[tuple[float, Intent]]:
    """Intents with a positive score, best first (ties keep table order); `kinds`: the kinds of the names
    found in the question."""
    scored = [(i.score(text, kinds), n, i) for n, i in enumerate(INTENTS) if available is None or i.tool in available]
    scored = [s for s in scored if s[0] > 0]
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [(score, intent) for score, _, intent in scored]


# -- vocabulary for typo correction ---------------------------------------------------------------------
# Words of multi-word cues that say which tool is meant ("how much", "who owns") but match no cue alone.
CUE_WORDS: tuple[str, ...] = (
    "much", "spend", "spent", "spending", "cost", "costs", "costing", "charge", "charged", "charges", "paid",
    "owns", "owner", "owned", "responsible", "belongs", "estimate", "approve", "budget", "forecast",
    "untagged", "tagged", "idle", "zombie", "zombies", "abandoned", "unused", "prompt", "prompts", "system",
    "tokens", "anomaly", "anomalies", "unusual", "remediation", "remediations", "savings", "waste",
    "endpoint", "endpoints", "inference", "inferences", "training", "running", "forgotten", "projected",
    "expensive", "priciest", "costliest", "spender", "spenders", "uncached", "cheapest", "lowest", "smallest",
    "movers", "mover", "grew", "shrank", "increased", "decreased", "cheaper", "jumped", "dropped",
    # more words of MOVE_UP / MOVE_DOWN ("which two teams rose the most" was "I don't know 'rose'"); not 'grow',
    # 'grown' or 'rise': typo targets that near, 'grows' in "if traffic grows to 10x" was read as 'grown'
    "rose", "climbed", "fell", "declined", "shrunk", "pricier", "costlier",
    "track",       # "on track for its budget" (a forecast cue of two words)
    "gpu-hour", "gpu-hours", "fine-tune", "fine-tunes",   # "per GPU-hour on fine-tunes" (job_runs)
)


@lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    """The intent table's words: every word of a cue pattern that matches a cue on its own, plus CUE_WORDS.
    A misspelt word of the question is corrected only towards one of these (agent.typos)."""
    words = set(CUE_WORDS)
    patterns = [p for intent in INTENTS for p, w in intent.cues if w > 0]
    for pattern in patterns:
        plain = re.sub(r"\\[a-zA-Z]|\(\?[:!=<]*|[()\[\]|?*+{}.^$,\\]", " ", pattern)
        for word in re.findall(r"[a-z][a-z_'-]{3,}", plain):
            if any(re.search(p, word) for p in patterns):
                words.add(word)
    return frozenset(words)
