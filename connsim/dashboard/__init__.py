"""The teaching dashboard: Mesa's SolaraViz page for :class:`~connsim.model.WorldModel`, served
offline on localhost (``connsim dashboard``; docs/dashboard.md).

- :mod:`connsim.dashboard.levers`: the lever controls from the scenario schema, the session's
  model, and what the page reads from it (no Solara needed);
- :mod:`connsim.dashboard.page`: the page (``connsim.dashboard.page:Page``, a Solara app);
- :func:`serve`: the server. It imports Solara only when it runs, after setting Solara's
  settings for working without internet: the JavaScript, CSS and fonts come from the installed
  packages (``solara-assets`` fills the folder Solara serves them from), a missing asset fails
  on the machine instead of being fetched from a CDN, and Solara's telemetry is off.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

__all__ = ["serve", "offline_environment", "check_installed", "bind", "DashboardError", "APP", "SCENARIO_ENV", "CLASSROOM_ENV"]

#: The environment variable that names the page's scenario (a library name or a path).
SCENARIO_ENV = "CONNSIM_DASHBOARD_SCENARIO"
#: The environment variable that turns classroom mode on ("1"; ``connsim dashboard --classroom``).
CLASSROOM_ENV = "CONNSIM_DASHBOARD_CLASSROOM"
#: The Solara app the server runs.
APP = "connsim.dashboard.page:Page"
#: Where a Solara asset missing from the installed packages would be fetched: nowhere (a closed
#: local port), so that the page fails on the machine instead of reaching a CDN.
NO_CDN = "http://127.0.0.1:9/"
#: Files of Solara's page template that must be installed (Vuetify 2 app, require.js, Font Awesome).
REQUIRED_ASSETS = (
    "@widgetti/solara-vuetify-app@10.1.1/dist/solara-vuetify-app8.min.js",
    "@widgetti/solara-vuetify-app@10.1.1/dist/main8.css",
    "requirejs@2.3.6/require.js",
    "font-awesome@4.5.0/css/font-awesome.min.css",
)


class DashboardError(Exception):
    """Why the dashboard cannot start, in one line (the command exits with status 2)."""


def offline_environment() -> dict[str, str]:
    """Solara's settings for a server that reaches nothing beyond the machine (environment variables)."""
    return {
        "SOLARA_ASSETS_PROXY": "true",  # serve the CDN files from the installed cache folder ...
        "SOLARA_ASSETS_CDN": NO_CDN,  # ... and fetch a missing one from nowhere
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
        "SOLARA_CHECK_HOOKS": "off",  # Mesa 3.3's own components trip Solara's hook linter on every render
        "SOLARA_THEME_SHOW_BANNER": "false",
    }


def check_installed() -> None:
    """Raise :class:`DashboardError` unless the ``viz`` extra (Mesa's visualization, Solara, its
    offline assets) is installed."""
    hint = "install the viz extra: pip install 'connsim[viz]'"
    for module in ("solara", "mesa.visualization", "uvicorn", "ipyvuetify"):
        try:
            __import__(module)
        except ImportError as e:
            raise DashboardError(
                f"the dashboard needs {module.split('.')[0]}, which is not installed ({e.name}); {hint}"
            ) from None
    import ipyvuetify

    if int(ipyvuetify.__version__.split(".")[0]) >= 3:
        raise DashboardError(
            f"the dashboard needs ipyvuetify 1.x (Vuetify 2, whose assets install offline), found {ipyvuetify.__version__}; {hint}"
        )
    folder = _asset_folder()
    missing = [a for a in REQUIRED_ASSETS if not (folder / a).is_file()]
    if missing:
        raise DashboardError(f"Solara's offline assets are not installed in {folder} (missing {missing[0]}); {hint}")


def _asset_folder() -> Path:
    """Solara's asset cache folder (``SOLARA_ASSETS_PROXY_CACHE_DIR``; solara-assets installs into it)."""
    import site

    given = os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR")
    if given:
        return Path(given)
    import solara.server

    here = Path(solara.server.__file__)
    user = site.getuserbase()
    prefix = user if user and str(here).startswith(user) else sys.prefix
    return Path(prefix) / "share" / "solara" / "cdn"


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one), or :class:`DashboardError`."""
    if not 0 <= port <= 65535:
        raise DashboardError(f"--port: {port} is not a port; allowed 0..65535 (0: any free port)")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise DashboardError(
            f"--host: cannot listen on {host!r} ({e}); allowed an address of this machine, e.g. 127.0.0.1"
        ) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as e:
        sock.close()
        if e.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
            raise DashboardError(f"--port: {port} is in use on {host}; allowed a free port (or 0: any free port)") from None
        raise DashboardError(f"--host/--port: cannot listen on {host}:{port} ({e.strerror or e})") from None
    sock.set_inheritable(True)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(
    host: str = "127.0.0.1", port: int = 8765, scenario: str | Path = "baseline", announce=print, classroom: bool = False
) -> None:
    """Serve the dashboard on ``host:port`` until interrupted (Ctrl-C).

    ``scenario``: a library name or a scenario file, validated before the server starts
    (:class:`~connsim.scenario.ScenarioError`). ``announce`` receives the line with the address.
    ``classroom``: classroom mode (:mod:`connsim.dashboard.classroom`): a player takes the EU's or
    Japan's decisions on the page.
    Raises :class:`DashboardError` if the viz extra is missing or the address cannot be used."""
    from connsim.scenario import load_scenario

    spec = load_scenario(scenario)  # a bad scenario is refused before anything starts
    ref = str(Path(scenario).resolve()) if Path(str(scenario)).suffix in (".toml", ".json") else str(scenario)  # a path from here
    os.environ.update(offline_environment())  # before Solara reads its settings
    os.environ["SOLARA_APP"] = APP
    os.environ[SCENARIO_ENV] = ref
    os.environ[CLASSROOM_ENV] = "1" if classroom else ""
    check_installed()
    sock = bind(host, port)
    import warnings

    # Solara warns on every page load that a cookie for iframes needs https; the page is not embedded
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    import uvicorn

    config = uvicorn.Config("solara.server.starlette:app", log_level="warning", access_log=False, ws_max_size=2**24)
    server = uvicorn.Server(config)
    url = _url(sock)
    os.environ["SERVER_NAME"], os.environ["SERVER_PORT"] = url.split("//")[1].rsplit(":", 1)[0], str(sock.getsockname()[1])
    mode = "classroom mode, " if classroom else ""
    announce(f"connsim dashboard: {url} ({mode}scenario {spec.name}; each browser tab runs its own model; Ctrl-C stops it)")
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
