"""Blob bytes through the server.

``byte_routes``: the HTTP routes of blob bytes (presence, framed and single uploads,
downloads); ``transfer_routes``: planning transfers (through the server, the listener,
or presigned URLs). ``upload_receiver`` stores what uploads send, ``download_sender``
frames what downloads read, ``upload_ledger`` is the uploader's account of both upload
paths. ``listener`` is the plain-socket listener for large uploads: ``listener_door``
takes connections until their head has arrived, ``tickets`` signs and checks the URLs
it accepts, ``listener_upload`` receives one body into the store.
"""
