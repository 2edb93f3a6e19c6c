import sys

from bflint.server import main

sys.exit(main())
