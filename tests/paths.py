"""Where the test fixtures live, for test modules in any folder under tests/."""
from pathlib import Path

TESTS = Path(__file__).parent
ROOT = TESTS.parent
FIXTURES = TESTS / "fixtures"
PLUGIN_SRC = TESTS / "third_party_plugin"
CHAT_SETS = TESTS / "agent" / "chat"
GMNER_FIXTURE = TESTS / "ve" / "fixtures" / "data"
