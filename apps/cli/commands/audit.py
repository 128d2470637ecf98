"""`finops audit tags|prompts [--db P] [--json] [--period P] ...`: the tag and prompt audits.

Runs the `tag_audit` / `prompt_audit` tools through the registry and renders the result with Rich:
the summary, the rows behind it, and where the data comes from. `--json` prints the tool result
(with its evidence). Exit 0 on a result, 2 on bad input (unknown name, bad period, no data, no store).
Options are generated from each tool's args model (apps/cli/tool_options.py).
"""

from __future__ import annotations

import typer

from apps.cli.commands.query import WHERE
from apps.cli.tool_options import TextOption, comma_list, tool_command


def register(app: typer.Typer) -> None:
    audit = typer.Typer(name="audit", help="Audits: untagged spend (tags), prompt costs and savings (prompts).",
                        no_args_is_help=True)
    app.add_typer(audit, name="audit")
    tool_command(audit, "tags", "tag_audit", short={"period": "-p"}, flags={"filters": "--where"},
                 text={"keys": TextOption(comma_list, "Comma-separated, or the option repeated."), "filters": WHERE},
                 help="Untagged and mis-tagged spend per required key, by account and service, with suggested owners.")
    tool_command(audit, "prompts", "prompt_audit", short={"period": "-p"},
                 help="Per prompt: system-prompt cost per day and savings from trimming, caching, max_tokens, "
                      "a cheaper model.")
