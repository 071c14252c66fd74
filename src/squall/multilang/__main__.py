"""``python -m squall.multilang [--serializer json|msgpack] [--log-file PATH] module:Class``."""

import sys

from squall.multilang._main import main

if __name__ == "__main__":
    sys.exit(main())
