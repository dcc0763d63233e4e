"""What a run did, for people: the HTML run report and token-level influence."""

from attention_influence.reports.explain import TokenInfluence, explain_text, render_html, render_terminal
from attention_influence.reports.html import build_report, write_report

__all__ = ["TokenInfluence", "build_report", "explain_text", "render_html", "render_terminal", "write_report"]
