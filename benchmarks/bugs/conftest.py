# The corpus repositories carry their own tests (and their own pytest config); they are run
# by ``corpus.py check`` in materialised copies, never collected from here.
collect_ignore = ["repos"]
