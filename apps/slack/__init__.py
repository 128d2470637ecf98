"""The Slack bot (Bolt for Python): questions in channels, DMs and `/finops`, answers in thread.

`create_bot(settings)` builds the Bolt app with its listeners; `apps.slack.http_server` serves it over
HTTP and `finops slack` runs it (Socket Mode when SLACK_APP_TOKEN is set).
"""

from apps.slack.app import SlackBot, create_bot
from apps.slack.settings import SlackSettings

__all__ = ["SlackBot", "SlackSettings", "create_bot"]
