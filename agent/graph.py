"""The agent graph in LangGraph: the nodes and routes of `agent.nodes` wired as plan -> tools -> (plan
again while the planner asks for more, up to a step limit) -> compose. Shaped like the LangGraph react-agent
template: typed state, small nodes, a runtime context carrying what is not state (the open store, the
planner, the settings), a checkpointer for conversations.
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.managed import RemainingSteps
from langgraph.types import Checkpointer

from agent.nodes import AgentContext, GraphState, after_plan, after_tools, compose_answer, plan, tools


class LangGraphState(GraphState, total=False):
    remaining_steps: RemainingSteps  # the recursion limit's countdown, read by plan's step-limit guard


AgentGraph = CompiledStateGraph[LangGraphState, AgentContext, LangGraphState, LangGraphState]


def build_graph(checkpointer: Checkpointer = None) -> AgentGraph:
    graph = StateGraph(LangGraphState, context_schema=AgentContext)
    graph.add_node("plan", plan)
    graph.add_node("tools", tools)
    graph.add_node("compose", compose_answer)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", after_plan, {"tools": "tools", "compose": "compose"})
    graph.add_conditional_edges("tools", after_tools, {"plan": "plan", "compose": "compose"})
    graph.add_edge("compose", END)
    return graph.compile(checkpointer=checkpointer, name="finops-agent")
