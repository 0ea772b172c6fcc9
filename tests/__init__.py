"""The test suite, one package: every helper module has exactly one import path (``tests.*``)."""
