import sys

from langgraph_scaling.cli import main

sys.exit(main())
