import sys

from cxops.cli.main import main

sys.exit(main())
