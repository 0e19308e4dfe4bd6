"""The API server: the Backend protocol over HTTP, with users, API keys and roles.

``archivist.server.app.create_app(ServerConfig)`` builds the FastAPI app;
``archivist server`` runs it with uvicorn (``archivist.server.run``). Routes are
generated from the Backend declarations (``calls``), request bodies in ``schemas``, key
checks and roles in ``auth``, blob bytes (routes, listener) in ``blobs/``, error answers
in ``errors``, the request log in ``request_log``. ``ui/`` is the web UI.
"""
