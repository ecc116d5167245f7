"""The test suite, one folder per subject (tests/<subject>/); the fixtures they share are in conftest.py files."""
