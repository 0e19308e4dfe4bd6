"""Framing and plain-socket/byte helpers shared by client and server.

These modules do I/O (sockets, threads, sqlite3), so they sit just above ``core/``
(which stays pure) and below ``client/``, ``server/`` and ``storage/``.
"""
