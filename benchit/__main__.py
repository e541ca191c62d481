import sys

from benchit.cli import main

sys.exit(main())
