"""`riveg serve`: the HTTP API (FastAPI) and the web page (Gradio) in one ASGI app.

runner.py: the one Pipeline of the process behind a bounded thread pool and
queue, and the bounded store of chat sessions; app.py: the JSON API;
page.py: the Gradio page. Both the API and the page go through the same
Runner, so the bounds hold for everything that reaches the chain.

mcp_server.py: `riveg mcp`, the role tools over the Model Context Protocol
(its own Pipeline per process; stdio or streamable HTTP).
"""
