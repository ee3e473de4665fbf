"""Mock of the net-entreprises.fr deposit point (API DSN): another organisation, imports no dsnlink.

`create_app(config)` gives the ASGI app; `python -m mock_netentreprises` serves it.
"""

from mock_netentreprises.app import create_app
from mock_netentreprises.clock import Clock, ManualClock
from mock_netentreprises.config import Account, MockConfig

__all__ = ["Account", "Clock", "ManualClock", "MockConfig", "create_app"]
