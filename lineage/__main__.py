"""``python -m lineage``: the command line."""

from lineage.cli import main

if __name__ == "__main__":
    main()
