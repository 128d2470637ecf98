"""The LangGraph agent: plan -> tools -> compose, with an offline planner or an OpenAI-compatible model.

Surfaces call `agent.service.ask(...)` and render the `agent.answer.Answer` it returns.
"""
