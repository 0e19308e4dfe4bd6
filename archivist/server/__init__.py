"""The API server: the Backend protocol over HTTP, with users, API keys and roles.

``archivist.server.app.create_app(ServerConfig)`` builds the FastAPI app;
``archivist server`` runs it with uvicorn (``archivist.server.run``). Routes live
in ``routes_*``, request bodies in ``schemas``, key checks and roles in ``auth``,
blob byte streams in ``bytes``, error answers in ``errors``, the request log in
``request_log``. ``ui/`` is the web UI.
"""
