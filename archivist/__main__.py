"""``python -m archivist``: the same as the ``archivist`` command."""

from archivist.cli.main import main

if __name__ == "__main__":
    main()
