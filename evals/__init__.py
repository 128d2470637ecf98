"""The eval suite: questions with expected answers from gold SQL or the demo's planted facts, a scorer
per question kind, a runner over the agent (offline or model planner) and a report (docs/architecture.md, "a question kind").

Layout: `questions/*.yaml` (question files, one set per file), `data/` (the FOCUS sample the focus set
ingests), `threshold.yaml` (the accuracy `finops eval` and CI must reach).
"""
