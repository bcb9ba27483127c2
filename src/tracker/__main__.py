"""``python -m tracker`` runs the same command line as the ``tracker`` script.

Does nothing else.
"""

from tracker.cli import main

if __name__ == "__main__":
    main()
