"""``python -m orion``: the same as the ``orion`` console script."""

from orion.entrypoints.cli import main

if __name__ == "__main__":
    main()
