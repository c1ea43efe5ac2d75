"""The chat's tool list as the routers see it: the eight role tools plus
the example third-party plugin's `image_colour` tool."""
from paths import PLUGIN_SRC
import sys

import pytest

from riveg_agent.agent.chat.routing import tool_info
from riveg_agent.agent.tools import PostContext, make_tools
from riveg_agent.core.roles import Post
from riveg_agent.core.state import ChainState


@pytest.fixture(scope="session")
def infos():
    sys.path.insert(0, str(PLUGIN_SRC))
    try:
        from riveg_hello.plugin import image_colour_tool
    finally:
        sys.path.remove(str(PLUGIN_SRC))
    ctx = PostContext(None, ChainState(Post("t", "", None)))
    return [tool_info(t) for t in make_tools(ctx) + [image_colour_tool(None, ctx)]]
